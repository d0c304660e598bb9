import diagnostics from "node:diagnostics_channel";
import { createStorage, EVENT_CHANNELS } from "@stowage/core";
import { createHybridCache, InProcessBus } from "@stowage/hybrid";
import { afterEach, describe, expect, it } from "vitest";

type Seen = { channel: string; message: Record<string, unknown> };

/** Subscribes to the cache and bus channels for the test; returns what they carried. */
function listen(): { seen: Seen[]; stop: () => void } {
  const seen: Seen[] = [];
  const names = [EVENT_CHANNELS.cacheHit, EVENT_CHANNELS.cacheMiss, EVENT_CHANNELS.busReconnect];
  const handlers = names.map((channel) => {
    const handler = (message: unknown) => seen.push({ channel, message: message as Record<string, unknown> });
    diagnostics.subscribe(channel, handler);
    return () => diagnostics.unsubscribe(channel, handler);
  });
  return {
    seen,
    stop: () => {
      for (const stop of handlers) stop();
    },
  };
}

describe("the two-tier cache's observability", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("a read publishes once, with its tier: l2 hit, then l1 hit, l2 miss; getMany the same", async () => {
    const storage = await createStorage("memory://");
    cleanups.push(() => storage.close());
    const writer = createHybridCache({ l2: storage.cache.driver, namespace: "events" });
    const reader = createHybridCache({ l2: storage.cache.driver, namespace: "events" });
    cleanups.push(
      () => writer.close(),
      () => reader.close(),
    );
    await writer.set("k", { v: 1 });
    const { seen, stop } = listen();
    cleanups.push(stop);
    await reader.get("k");
    await reader.get("k");
    await reader.get("absent");
    await reader.getMany(["k", "absent"]);
    const summary = seen.map(({ channel, message }) => `${channel.split(":").at(-1)} ${message.key} ${message.tier}`);
    expect(summary).toEqual(["hit k l2", "hit k l1", "miss absent l2", "hit k l1", "miss absent l2"]);
    expect(seen.every(({ message }) => message.namespace === "events")).toBe(true);
  });

  it("a bus reconnect is published with the namespace", async () => {
    const storage = await createStorage("memory://");
    cleanups.push(() => storage.close());
    const bus = new InProcessBus();
    const end = bus.connect();
    const cache = createHybridCache({ l2: storage.cache.driver, namespace: "bus-events", bus: end });
    cleanups.push(() => cache.close());
    const { seen, stop } = listen();
    cleanups.push(stop);
    end.disconnect();
    end.reconnect();
    expect(seen.filter(({ channel }) => channel === EVENT_CHANNELS.busReconnect).map(({ message }) => message)).toEqual(
      [{ namespace: "bus-events", reason: "reconnected" }],
    );
  });

  it("createHybridCache is traced and timed like the stores createStorage builds", async () => {
    const storage = await createStorage("memory://");
    cleanups.push(() => storage.close());
    const cache = createHybridCache({ l2: storage.cache.driver, namespace: "timed" });
    cleanups.push(() => cache.close());
    await cache.set("a", 1);
    await cache.get("a");
    await cache.get("a");
    const operations = (await cache.stats()).operations as Record<string, { count: number }>;
    expect(operations.get?.count).toBe(2);
    expect(operations.set?.count).toBe(1);
  });
});
