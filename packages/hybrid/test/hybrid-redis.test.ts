import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type JsonLinesChild, spawnJsonLines, waitUntil } from "@stowage/conformance/testing";
import { createStorage, isStowageError, parseMultiHostUrl, type Storage } from "@stowage/core";
import { createHybridCache, type HybridCache } from "@stowage/hybrid";
import { openBus, type RedisBus } from "@stowage/redis";
import {
  needsBinaryReason,
  redisTestAvailability,
  startCluster,
  startStandalone,
  type TestServer,
} from "@stowage/redis/testing";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const availability = await redisTestAvailability();
const skipReason = needsBinaryReason(availability, "hybrid Redis tests (they kill and restart their own redis-server)");
if (skipReason) console.warn(`[hybrid] ${skipReason}`);

const WORKER = fileURLToPath(new URL("./hybrid-worker.mjs", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const namespace = () => `hybrid-${randomBytes(4).toString("hex")}`;

async function errorCode(action: Promise<unknown>): Promise<string | undefined> {
  try {
    await action;
    return undefined;
  } catch (error) {
    return isStowageError(error) ? error.code : String(error);
  }
}

/** One hybrid instance in a separate node process (see hybrid-worker.mjs). */
class WorkerInstance {
  readonly #worker: JsonLinesChild;
  #nextId = 0;

  constructor(url: string, ns: string) {
    this.#worker = spawnJsonLines(WORKER, [url, ns], { label: "hybrid-worker" });
  }

  get messages(): Record<string, unknown>[] {
    return this.#worker.messages;
  }

  waitFor(match: (m: Record<string, unknown>) => boolean, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    return this.#worker.waitFor(match, timeoutMs);
  }

  async call(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = ++this.#nextId;
    this.#worker.send(JSON.stringify({ ...command, id }));
    return this.waitFor((m) => m.id === id);
  }

  kill(): void {
    this.#worker.child.kill("SIGKILL");
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

describe.skipIf(skipReason !== undefined)("hybrid cache on real Redis", () => {
  let server: TestServer;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];

  beforeAll(async () => {
    server = await startStandalone();
  });
  afterAll(async () => server?.stop());
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
  });

  async function instance(
    ns: string,
    options: Partial<Parameters<typeof createHybridCache>[0]> = {},
  ): Promise<{ cache: HybridCache; bus: RedisBus; l2: Storage }> {
    const l2 = await createStorage({ url: `${server.url}?timeout=500&connectTimeout=500`, namespace: ns });
    const bus = await openBus({ url: new URL(server.url), params: new URLSearchParams(), options: {} });
    const cache = createHybridCache({ l2: l2.cache, bus, ...options });
    cleanups.push(
      () => l2.close(),
      () => bus.close(),
      () => cache.close(),
    );
    return { cache, bus, l2 };
  }

  it("a write in one process is never read stale from two other processes' L1 once its invalidation arrives", async () => {
    const ns = namespace();
    const { cache } = await instance(ns);
    const workers = [new WorkerInstance(server.url, ns), new WorkerInstance(server.url, ns)];
    cleanups.push(() => {
      for (const worker of workers) worker.kill();
    });
    await Promise.all(workers.map((w) => w.waitFor((m) => m.ready === true)));
    await cache.set("k", 0);
    for (const worker of workers) expect((await worker.call({ op: "get", key: "k" })).value).toBe(0);
    for (const worker of workers) await worker.call({ op: "poll" });
    const ROUNDS = 150;
    const delaysMs: number[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
      const startNs = process.hrtime.bigint();
      await cache.set("k", i);
      for (const worker of workers) {
        const report = await worker.waitFor((m) => m.invalidated === true && m.value === i);
        delaysMs.push(Number(BigInt(report.receivedNs as string) - startNs) / 1e6);
      }
    }
    for (const worker of workers) {
      const reads = worker.messages.filter((m) => m.invalidated === true).map((m) => m.value as number);
      // Right after each invalidation arrived (the first is of the initial set), the read saw that write.
      expect(reads).toEqual(Array.from({ length: ROUNDS + 1 }, (_, i) => i));
      const end = await worker.call({ op: "stop" });
      expect(end.staleReads).toBe(0);
      expect(end.reads as number).toBeGreaterThan(ROUNDS);
      expect((end.stats as { busReceived: number }).busReceived).toBe(ROUNDS + 1);
    }
    delaysMs.sort((a, b) => a - b);
    console.log(
      `[hybrid] invalidation delay, set() called in one process -> message received in another (${delaysMs.length} samples, 2 workers): ` +
        `p50 ${quantile(delaysMs, 0.5).toFixed(2)} ms, p99 ${quantile(delaysMs, 0.99).toFixed(2)} ms, max ${(delaysMs.at(-1) as number).toFixed(2)} ms`,
    );
  }, 120_000);

  it("a bus reconnect (subscriber killed with CLIENT KILL) empties L1, and a write missed meanwhile is not read stale", async () => {
    const ns = namespace();
    const a = await instance(ns);
    const b = await instance(ns);
    for (let i = 0; i < 20; i++) await a.cache.set(`key${i}`, i);
    for (let i = 0; i < 20; i++) expect(await b.cache.get(`key${i}`)).toBe(i);
    expect((await b.cache.stats()).l1Entries).toBe(20);
    const admin = new Redis(server.port, "127.0.0.1");
    cleanups.push(() => admin.quit());
    const killed = await admin.client("KILL", "TYPE", "pubsub");
    expect(Number(killed)).toBeGreaterThanOrEqual(2);
    await a.cache.set("key0", "changed while b's subscriber was away");
    await waitUntil("b's bus to reconnect", async () => (await b.cache.stats()).l1Clears >= 1);
    const stats = await b.cache.stats();
    expect(stats.busConnected).toBe(true);
    expect(stats.l1Entries).toBe(0);
    expect(await b.cache.get("key0")).toBe("changed while b's subscriber was away");
    await a.cache.set("key1", "after reconnect");
    await waitUntil("the next invalidation", async () => (await b.cache.get("key1")) === "after reconnect");
  }, 60_000);

  it("100 concurrent getOrSet callers cause one load", async () => {
    const { cache } = await instance(namespace());
    let loads = 0;
    const load = async () => {
      loads++;
      await sleep(30);
      return { loaded: loads };
    };
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrSet("k", load, { ttl: 60_000 })));
    expect(loads).toBe(1);
    expect(results.every((r) => r.loaded === 1)).toBe(true);
    expect(await cache.getOrSet("k", load)).toEqual({ loaded: 1 });
    expect(loads).toBe(1);
  });

  // Last: it kills and restarts the server.
  it("killing Redis serves L1 within grace, then fails cleanly; restarting Redis recovers the same cache", async () => {
    const ns = namespace();
    const graceMs = 1_500;
    const { cache } = await instance(ns, { graceMs, breaker: { failureThreshold: 1, openMs: 200 } });
    await cache.set("a", "cached");
    expect(await cache.get("a")).toBe("cached");
    await server.kill();
    await waitUntil("the bus to notice", () => cache.tiers.busConnected === false);
    expect(await cache.get("a")).toBe("cached");
    expect(await cache.get("a")).toBe("cached");
    expect(await errorCode(cache.get("never-cached"))).toBe("ERR_BACKEND_UNAVAILABLE");
    expect(await errorCode(cache.set("b", 1))).toBe("ERR_BACKEND_UNAVAILABLE");
    const during = await cache.tiers.stats();
    expect(during.staleServes).toBe(2);
    await sleep(graceMs + 200);
    expect(await errorCode(cache.get("a"))).toBe("ERR_BACKEND_UNAVAILABLE");
    expect(cache.tiers.breaker.state).not.toBe("closed");
    await server.restart();
    await waitUntil(
      "the cache to write again",
      async () => (await errorCode(cache.set("a", "after restart"))) === undefined,
      20_000,
    );
    expect(await cache.get("a")).toBe("after restart");
    await waitUntil("the bus to reconnect", () => cache.tiers.busConnected === true, 20_000);
    expect(cache.tiers.breaker.state).toBe("closed");
    expect((await cache.stats()).l1Clears).toBeGreaterThanOrEqual(1);
  }, 60_000);
  it("maxSize on hybrid+redis:// bounds the L1 only: Redis (no size limit of its own) is not given it and opens", async () => {
    const hybrid = await createStorage({ url: `hybrid+${server.url}?maxSize=4kb`, namespace: namespace() });
    cleanups.push(() => hybrid.close());
    for (let i = 0; i < 20; i++) await hybrid.cache.set(`k${i}`, "x".repeat(1000));
    const stats = (await hybrid.cache.stats()) as unknown as { l1Bytes: number };
    expect(stats.l1Bytes).toBeLessThanOrEqual(4096);
    // Redis keeps everything: the limit was L1's.
    for (let i = 0; i < 20; i++) expect(await hybrid.cache.get(`k${i}`)).toBe("x".repeat(1000));
    await expect(createStorage(`${server.url}?maxSize=4kb`)).rejects.toMatchObject({ code: "ERR_CONFIG" });
  });
  it("stats() through hybrid+redis:// and redis:// stays readable during a Redis outage: L1 size, stale serves, errors", async () => {
    const hybrid = await createStorage({
      url: `hybrid+${server.url}?timeout=500&connectTimeout=500&grace=20000`,
      namespace: namespace(),
    });
    const plain = await createStorage({ url: `${server.url}?timeout=500&connectTimeout=500`, namespace: namespace() });
    cleanups.push(
      () => hybrid.close(),
      () => plain.close(),
    );
    await hybrid.cache.set("a", "cached");
    await plain.cache.set("a", "stored");
    expect(await hybrid.cache.get("a")).toBe("cached");
    await server.kill();
    await waitUntil(
      "the bus to notice",
      async () => ((await hybrid.cache.stats()) as unknown as { busConnected: boolean }).busConnected === false,
    );
    expect(await hybrid.cache.get("a")).toBe("cached"); // served stale from L1
    expect(await errorCode(hybrid.cache.get("never-cached"))).toBe("ERR_BACKEND_UNAVAILABLE");
    expect(await errorCode(plain.cache.get("a"))).toBe("ERR_BACKEND_UNAVAILABLE");
    const during = (await hybrid.cache.stats()) as unknown as Record<string, unknown>;
    expect(during).toMatchObject({ l1Entries: 1, staleServes: 1, sizeStale: true, entries: 0 });
    expect(during.errors).toBeGreaterThanOrEqual(1);
    expect(during.l2Errors).toBeGreaterThanOrEqual(2);
    const plainDuring = await plain.cache.stats();
    expect(plainDuring).toMatchObject({ sets: 1, sizeStale: true });
    expect(plainDuring.errors).toBeGreaterThanOrEqual(1);
    await server.restart();
    await waitUntil("the store to answer again", async () => (await errorCode(plain.cache.set("b", 1))) === undefined);
    expect((await plain.cache.stats()).sizeStale).toBeUndefined();
  }, 60_000);

  it("a write-behind replay never overwrites a value another instance wrote after the write was queued; the conflict is counted", async () => {
    const ns = namespace();
    // B replays only when its L2 answers a call (retry timer far away), so the order below is the test's, not the clock's.
    const breaker = { failureThreshold: 1, openMs: 200 };
    const a = await instance(ns, { breaker });
    const b = await instance(ns, { breaker, writeBehind: { maxEntries: 10, retryMs: 600_000 } });
    await a.cache.set("contested", "before the outage");
    await a.cache.set("quiet", "before the outage");
    expect(await b.cache.get("contested")).toBe("before the outage");
    expect(await b.cache.get("quiet")).toBe("before the outage");

    await server.kill();
    await b.cache.set("contested", "queued by B during the outage");
    await b.cache.set("quiet", "queued by B during the outage");
    expect((await b.cache.tiers.stats()).writeBehindQueued).toBe(2);
    await server.restart();
    // A writes the key after L2 is back, before B's replay: A's value is the newer one.
    await waitUntil(
      "A to write again",
      async () => (await errorCode(a.cache.set("contested", "written by A after the outage"))) === undefined,
      20_000,
    );
    await waitUntil(
      "B to replay its queue",
      async () => {
        await errorCode(b.cache.get("unrelated")); // an answered L2 call sets B's replay going
        return b.cache.tiers.pendingWrites === 0;
      },
      20_000,
    );
    expect(await a.l2.cache.get("contested")).toBe("written by A after the outage");
    // Nothing newer was in L2 (it came back empty), so B's other queued write landed.
    expect(await a.l2.cache.get("quiet")).toBe("queued by B during the outage");
    expect((await b.cache.tiers.stats()).writeBehindConflicts).toBe(1);
    expect((await b.cache.stats()).writeBehindConflicts).toBe(1);
    expect(await b.cache.get("contested")).toBe("written by A after the outage");
  }, 60_000);
});

describe.skipIf(skipReason !== undefined)("Redis bus on a Cluster", () => {
  it("a message published through one node reaches a subscriber connected to the Cluster; hybrid+redis+cluster:// invalidates", async () => {
    const cluster = await startCluster(3);
    const open = () => openBus({ url: parseMultiHostUrl(cluster.url), params: new URLSearchParams(), options: {} });
    const [sender, receiver] = await Promise.all([open(), open()]).catch(async (error) => {
      await cluster.stop();
      throw error;
    });
    try {
      const received: string[][] = [];
      receiver.subscribe((message) => received.push(message.keys));
      for (let i = 0; i < 5; i++) await sender.publish({ source: "s", seq: i, namespace: "ns", keys: [`k${i}`] });
      await waitUntil("five messages", () => received.length === 5);
      // PUBLISH names no key, so ioredis sends each to any node: order across nodes is not kept, and
      // need not be (a message only drops keys).
      expect(received.flat().sort()).toEqual(["k0", "k1", "k2", "k3", "k4"]);
      // The Cluster moves a subscriber whose connection ends to another node by itself: the bus
      // must still report that as a reconnect (messages sent meanwhile were lost), then deliver again.
      let reconnects = 0;
      receiver.onReconnect(() => reconnects++);
      for (const node of cluster.nodes) {
        const admin = new Redis(node.port, "127.0.0.1");
        await admin.client("KILL", "TYPE", "pubsub").catch(() => {});
        admin.disconnect();
      }
      await waitUntil("the receiver to resubscribe", () => reconnects >= 1 && receiver.connected);
      await waitUntil("a message after the move", async () => {
        await sender.publish({ source: "s", seq: 9, namespace: "ns", keys: ["after"] });
        await sleep(50);
        return received.flat().includes("after");
      });
      // The URL form on the Cluster: two instances, a write in one drops the key from the other's L1.
      const url = `hybrid+${cluster.url}`;
      const [a, b] = [await createStorage({ url, namespace: "c" }), await createStorage({ url, namespace: "c" })];
      try {
        type Details = { busConnected: boolean; caches: Record<string, { busReceived: number; l2Hits: number }> };
        const details = async () => (await b.health()).cache.details as Details;
        // b's subscriber must be listening before a publishes, or the first message is not b's to count.
        await waitUntil("b's bus to subscribe", async () => (await details()).busConnected);
        await a.cache.set("k", "old");
        expect(await b.cache.get("k")).toBe("old");
        await a.cache.set("k", "new");
        await waitUntil("the invalidation", async () => (await b.cache.get("k")) === "new");
        // Messages published through different nodes may arrive in any order: wait for both.
        await waitUntil("both messages", async () => ((await details()).caches.c?.busReceived ?? 0) >= 2);
        expect((await details()).busConnected).toBe(true);
        expect((await details()).caches.c?.l2Hits).toBe(2);
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      await sender.close();
      await receiver.close();
      await cluster.stop();
    }
  }, 60_000);
});
