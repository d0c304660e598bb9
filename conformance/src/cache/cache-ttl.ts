import { CacheStore } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { collect, sleepMs, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

const SHORT = 200;

/** Keeps this process busy for `ms` once the requests issued so far have gone out, so that their replies are handled late. */
function busySoon(ms: number): void {
  setImmediate(() => {
    const until = performance.now() + ms;
    while (performance.now() < until) {}
  });
}
const PAST = 600;

/** An expired entry is never returned, by any read, whether or not a sweeper has run. */
export function cacheTtl(target: ConformanceTarget): void {
  describe("cache ttl", () => {
    const ctx = useStorage(target);

    it("an expired entry is never returned by get, getMany, has, ttl or keys", async () => {
      const { cache } = ctx.storage;
      await cache.set("short", "v", { ttl: SHORT });
      await cache.set("long", "v", { ttl: 60_000 });
      await cache.set("forever", "v");
      expect(await cache.get("short")).toBe("v");
      await sleepMs(PAST);
      expect(await cache.get("short")).toBeUndefined();
      expect(await cache.getMany(["short", "long", "forever"])).toEqual([undefined, "v", "v"]);
      expect(await cache.has("short")).toBe(false);
      expect(await cache.ttl("short")).toBeUndefined();
      expect((await collect(cache.keys())).sort()).toEqual(["forever", "long"]);
    });

    it("an expiry read back is never later than the one set, also when the reply is handled late", async (context) => {
      const { cache } = ctx.storage;
      if (!(cache instanceof CacheStore))
        return context.skip("the cache is not a CacheStore: its driver is out of reach");
      const before = Date.now();
      await cache.set("copied", 1, { ttl: 60_000 });
      const after = Date.now();
      // The latest the backend can have it expire (a relative ttl sent after core's clock read adds the time in flight).
      const latest = after + 60_000 + (after - before) + 2;
      // A copy of the expiry (a hybrid's L1 fill) must not outlive the entry when this process was busy as the reply came.
      const reading = cache.driver.get("copied");
      busySoon(100);
      expect((await reading)?.expiresAt).toBeLessThanOrEqual(latest);
      if (cache.driver.expiresAt) {
        const expiring = cache.driver.expiresAt("copied");
        busySoon(100);
        expect(await expiring).toBeLessThanOrEqual(latest);
      }
    });

    it("ttl gives the remaining milliseconds, Infinity without expiry, undefined when absent", async () => {
      const { cache } = ctx.storage;
      await cache.set("a", 1, { ttl: 60_000 });
      await cache.set("b", 1);
      const remaining = (await cache.ttl("a")) as number;
      expect(remaining).toBeGreaterThan(50_000);
      expect(remaining).toBeLessThanOrEqual(60_000);
      expect(await cache.ttl("b")).toBe(Number.POSITIVE_INFINITY);
      expect(await cache.ttl("nope")).toBeUndefined();
    });

    it("set without ttl replaces an entry's expiry; setMany honours per-entry ttl", async () => {
      const { cache } = ctx.storage;
      await cache.set("k", 1, { ttl: SHORT });
      await cache.set("k", 2);
      await cache.setMany([
        { key: "m1", value: 1, ttl: SHORT },
        { key: "m2", value: 2 },
      ]);
      await sleepMs(PAST);
      expect(await cache.getMany(["k", "m1", "m2"])).toEqual([2, undefined, 2]);
    });

    it("add and incr treat an expired entry as absent", async () => {
      const { cache } = ctx.storage;
      await cache.set("slot", "old", { ttl: SHORT });
      await cache.incr("count", 5, { ttl: SHORT });
      await sleepMs(PAST);
      expect(await cache.add("slot", "new")).toBe(true);
      expect(await cache.get("slot")).toBe("new");
      expect(await cache.incr("count")).toBe(1);
    });

    it("incr keeps an existing counter's expiry", async () => {
      const { cache } = ctx.storage;
      await cache.incr("hits", 1, { ttl: SHORT });
      await cache.incr("hits", 1, { ttl: 60_000 });
      await sleepMs(PAST);
      expect(await cache.get("hits")).toBeUndefined();
    });

    it("json.set keeps the document's expiry", async () => {
      const { cache } = ctx.storage;
      // The document must still be alive when it is read back: a round that took longer than its
      // ttl (a loaded CI machine) says nothing, and is taken again on a fresh key.
      for (let round = 0; ; round++) {
        const key = `doc-${round}`;
        const started = Date.now();
        await cache.set(key, { a: 1 }, { ttl: SHORT });
        await cache.json.set(key, "$.b", 2);
        const read = await cache.get(key);
        if (Date.now() - started >= SHORT && round < 5) continue;
        expect(read).toEqual({ a: 1, b: 2 });
        await sleepMs(PAST);
        expect(await cache.get(key)).toBeUndefined();
        return;
      }
    });

    it("json.set keeps the document's expiry where it was, also when the document's read is answered late", async () => {
      const { cache } = ctx.storage;
      const before = Date.now();
      await cache.set("doc", { a: 1 }, { ttl: 60_000 });
      const after = Date.now();
      const latest = after + 60_000 + (after - before) + 2;
      for (let i = 0; i < 3; i++) {
        const writing = cache.json.set("doc", "$.b", i);
        busySoon(50);
        await writing;
      }
      const asked = Date.now();
      expect(await cache.ttl("doc")).toBeLessThanOrEqual(latest - asked + 1);
    });

    it("gc removes expired entries and leaves live ones", async () => {
      const { cache } = ctx.storage;
      await cache.setMany([
        { key: "gone1", value: 1, ttl: SHORT },
        { key: "gone2", value: 1, ttl: SHORT },
        { key: "kept", value: 1 },
      ]);
      await sleepMs(PAST);
      expect(await cache.gc()).toBeGreaterThanOrEqual(0);
      expect(await cache.get("kept")).toBe(1);
      expect((await cache.stats()).entries).toBeGreaterThanOrEqual(1);
      expect(await collect(cache.keys())).toEqual(["kept"]);
    });
  });
}
