import { CacheStore } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { collect, concurrently, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";
import { HARD_KEYS } from "./key-cases.js";

/** get/set/delete, batches, add, has, keys, clear, getOrSet and every hard key. */
export function cacheBasics(target: ConformanceTarget): void {
  describe("cache basics", () => {
    const ctx = useStorage(target);

    it("a value set is the value got, and an absent key is undefined", async () => {
      const { cache } = ctx.storage;
      const value = { status: "running", progress: 0.5, tags: ["a", "b"], nested: { ok: true, none: null } };
      await cache.set("model:1:status", value);
      expect(await cache.get("model:1:status")).toEqual(value);
      expect(await cache.get("model:2:status")).toBeUndefined();
      await cache.set("model:1:status", "done");
      expect(await cache.get("model:1:status")).toBe("done");
    });

    it("every hard key round-trips and keys() gives it back exactly", async () => {
      const { cache } = ctx.storage;
      for (const [i, key] of HARD_KEYS.entries()) await cache.set(key, i);
      for (const [i, key] of HARD_KEYS.entries()) expect(await cache.get(key), JSON.stringify(key)).toBe(i);
      expect((await collect(cache.keys())).sort()).toEqual([...HARD_KEYS].sort());
    });

    it("keys differing only in case are different keys", async () => {
      const { cache } = ctx.storage;
      await cache.set("Case", 1);
      await cache.set("case", 2);
      await cache.set("CASE", 3);
      expect(await cache.getMany(["Case", "case", "CASE"])).toEqual([1, 2, 3]);
      expect(await cache.delete("case")).toBe(true);
      expect(await cache.getMany(["Case", "case", "CASE"])).toEqual([1, undefined, 3]);
    });

    it("getMany, setMany and deleteMany work on batches in order", async () => {
      const { cache } = ctx.storage;
      await cache.setMany([
        { key: "a", value: 1 },
        { key: "b", value: "two" },
        { key: "c", value: [3] },
      ]);
      expect(await cache.getMany(["c", "missing", "a", "b"])).toEqual([[3], undefined, 1, "two"]);
      expect(await cache.deleteMany(["a", "c", "missing"])).toBe(2);
      expect(await cache.getMany(["a", "b", "c"])).toEqual([undefined, "two", undefined]);
      expect(await cache.getMany([])).toEqual([]);
    });

    it("delete says whether a live entry was removed; has follows it", async () => {
      const { cache } = ctx.storage;
      await cache.set("k", 1);
      expect(await cache.has("k")).toBe(true);
      expect(await cache.delete("k")).toBe(true);
      expect(await cache.delete("k")).toBe(false);
      expect(await cache.has("k")).toBe(false);
    });

    it("add stores only when the key is absent", async () => {
      const { cache } = ctx.storage;
      expect(await cache.add("job:1", "first")).toBe(true);
      expect(await cache.add("job:1", "second")).toBe(false);
      expect(await cache.get("job:1")).toBe("first");
    });

    it("add answers whether the key was absent, also when its ttl ran out before the backend stored it", async (context) => {
      const { cache } = ctx.storage;
      if (!(cache instanceof CacheStore))
        return context.skip("the cache is not a CacheStore: its driver is out of reach");
      // An entry whose expiry passed in flight (a short ttl on a slow path) was stored and expired at once: the key was absent.
      const past = { value: new TextEncoder().encode('"late"'), expiresAt: Date.now() - 10 };
      expect(await cache.driver.add("late", past)).toBe(true);
      expect(await cache.get("late")).toBeUndefined();
      await cache.set("held", "kept");
      expect(await cache.driver.add("held", past)).toBe(false);
      expect(await cache.get("held")).toBe("kept");
    });

    it("incr starts an absent key at 0, adds steps, and get reads the counter as a number", async () => {
      const { cache } = ctx.storage;
      expect(await cache.incr("n")).toBe(1);
      expect(await cache.incr("n", 10)).toBe(11);
      expect(await cache.incr("n", -12)).toBe(-1);
      expect(await cache.get("n")).toBe(-1);
    });

    it("keys(prefix) yields only keys with that prefix", async () => {
      const { cache } = ctx.storage;
      await cache.setMany(["job:1", "job:2", "job:10", "jobs", "model:1"].map((key) => ({ key, value: 0 })));
      expect((await collect(cache.keys("job:"))).sort()).toEqual(["job:1", "job:10", "job:2"]);
      expect((await collect(cache.keys("nothing"))).length).toBe(0);
    });

    it("keys() lists many keys, each once", async () => {
      const { cache } = ctx.storage;
      const keys = Array.from({ length: 1500 }, (_, i) => `bulk:${i}`);
      await cache.setMany(keys.map((key) => ({ key, value: 1 })));
      const listed = await collect(cache.keys("bulk:"));
      expect(listed.length).toBe(keys.length);
      expect(new Set(listed).size).toBe(keys.length);
    });

    it("clear empties the cache", async () => {
      const { cache } = ctx.storage;
      await cache.setMany([1, 2, 3].map((i) => ({ key: `k${i}`, value: i })));
      await cache.clear();
      expect(await collect(cache.keys())).toEqual([]);
      expect(await cache.get("k1")).toBeUndefined();
    });

    it("getOrSet loads once for 100 concurrent callers and caches the result", async () => {
      const { cache } = ctx.storage;
      let loads = 0;
      const results = await concurrently(100, () =>
        cache.getOrSet("expensive", async () => {
          loads++;
          await new Promise((resolve) => setTimeout(resolve, 50));
          return { answer: 42 };
        }),
      );
      expect(loads).toBe(1);
      for (const result of results) expect(result).toEqual({ answer: 42 });
      expect(await cache.get("expensive")).toEqual({ answer: 42 });
      expect(await cache.getOrSet("expensive", () => ({ answer: 0 }))).toEqual({ answer: 42 });
      expect(loads).toBe(1);
    });

    it("a failed getOrSet load stores nothing and the next caller loads again", async () => {
      const { cache } = ctx.storage;
      await expect(cache.getOrSet("flaky", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
      expect(await cache.has("flaky")).toBe(false);
      expect(await cache.getOrSet("flaky", () => "ok")).toBe("ok");
    });

    it("large values (1 MiB) and empty values round-trip", async () => {
      const { cache } = ctx.storage;
      const big = "x".repeat(1024 * 1024);
      await cache.set("big", big);
      expect(await cache.get("big")).toBe(big);
      await cache.set("empty-string", "");
      await cache.set("empty-object", {});
      await cache.set("null", null);
      expect(await cache.getMany(["empty-string", "empty-object", "null"])).toEqual(["", {}, null]);
      expect(await cache.has("null")).toBe(true);
    });

    it("stats count hits, misses and what the backend holds", async () => {
      const { cache } = ctx.storage;
      await cache.set("a", "12345");
      await cache.get("a");
      await cache.get("absent");
      const stats = await cache.stats();
      expect(stats.hits).toBeGreaterThanOrEqual(1);
      expect(stats.misses).toBeGreaterThanOrEqual(1);
      expect(stats.entries).toBeGreaterThanOrEqual(1);
      expect(stats.bytes).toBeGreaterThan(0);
    });

    it("health reports the backend reachable", async () => {
      const health = await ctx.storage.health();
      expect(health.ok).toBe(true);
      expect(health.cache.backend).toBeTruthy();
      expect(health.cache.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it("a closed store refuses work with ERR_CLOSED", async () => {
      const other = await ctx.another();
      await other.close();
      await expect(other.cache.get("k")).rejects.toMatchObject({ code: "ERR_CLOSED" });
      await expect(other.lock.tryAcquire("k")).rejects.toMatchObject({ code: "ERR_CLOSED" });
      await expect(other.checkpoint.get("t")).rejects.toMatchObject({ code: "ERR_CLOSED" });
    });
  });
}
