import { describe, expect, it } from "vitest";
import type { Selection } from "../selection.js";
import { collect, expectCode, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

const BAD_KEYS: unknown[] = [
  "",
  "x".repeat(1025),
  "é".repeat(513),
  "lone \uD800 surrogate",
  42,
  null,
  undefined,
  {},
  ["a"],
];
const BAD_TTLS: unknown[] = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "100", null];

/** Bad keys, values and TTLs are typed errors raised before any I/O, and nothing is written. */
export function badInput(target: ConformanceTarget, selected: Selection): void {
  describe("bad input", () => {
    const ctx = useStorage(target);

    // Tests of a contract that was not selected are not registered at all.
    const cacheIt: typeof it = ((name: string, fn: () => Promise<void>) => selected.cache && it(name, fn)) as typeof it;
    cacheIt("a bad key is ERR_INVALID_KEY on every operation, and nothing is written", async () => {
      const { cache } = ctx.storage;
      for (const key of BAD_KEYS) {
        const k = key as string;
        await expectCode(cache.set(k, 1), "ERR_INVALID_KEY");
        await expectCode(cache.get(k), "ERR_INVALID_KEY");
        await expectCode(cache.add(k, 1), "ERR_INVALID_KEY");
        await expectCode(cache.incr(k), "ERR_INVALID_KEY");
        await expectCode(cache.delete(k), "ERR_INVALID_KEY");
        await expectCode(cache.json.set(k, "$.a", 1), "ERR_INVALID_KEY");
        await expectCode(cache.getMany(["fine", k]), "ERR_INVALID_KEY");
        await expectCode(
          cache.setMany([
            { key: "fine", value: 1 },
            { key: k, value: 1 },
          ]),
          "ERR_INVALID_KEY",
        );
        if (selected.lock) await expectCode(ctx.storage.lock.tryAcquire(k), "ERR_INVALID_KEY");
      }
      expect(await collect(cache.keys())).toEqual([]);
    });

    cacheIt("a value the codec cannot encode is ERR_SERIALIZATION and the old value stays", async () => {
      const { cache } = ctx.storage;
      await cache.set("k", "old");
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const bad: unknown[] = [
        undefined,
        () => 1,
        Symbol("s"),
        10n,
        Number.NaN,
        circular,
        new Date(),
        { nested: [1, undefined] },
      ];
      for (const value of bad) {
        await expectCode(cache.set("k", value), "ERR_SERIALIZATION");
        await expectCode(cache.add("fresh", value), "ERR_SERIALIZATION");
        await expectCode(cache.json.set("k2", "$.a", value), "ERR_SERIALIZATION");
      }
      await expectCode(
        cache.setMany([
          { key: "a", value: 1 },
          { key: "b", value: undefined },
        ]),
        "ERR_SERIALIZATION",
      );
      expect(await cache.get("k")).toBe("old");
      expect(await cache.getMany(["fresh", "k2", "a", "b"])).toEqual([undefined, undefined, undefined, undefined]);
    });

    cacheIt("a bad ttl is ERR_INVALID_ARGUMENT and nothing is written", async () => {
      const { cache } = ctx.storage;
      for (const ttl of BAD_TTLS) {
        await expectCode(cache.set("k", 1, { ttl: ttl as number }), "ERR_INVALID_ARGUMENT");
        await expectCode(cache.add("k", 1, { ttl: ttl as number }), "ERR_INVALID_ARGUMENT");
        await expectCode(cache.incr("k", 1, { ttl: ttl as number }), "ERR_INVALID_ARGUMENT");
        if (selected.lock)
          await expectCode(ctx.storage.lock.acquire("l", { ttl: ttl as number }), "ERR_INVALID_ARGUMENT");
        if (selected.checkpoint) {
          const put = ctx.storage.checkpoint.put({ threadId: "t", payload: 1 }, { ttl: ttl as number });
          await expectCode(put, "ERR_INVALID_ARGUMENT");
        }
      }
      expect(await cache.has("k")).toBe(false);
      if (selected.checkpoint) expect(await ctx.storage.checkpoint.get("t")).toBeUndefined();
    });

    cacheIt(
      "incr on a non-integer value is ERR_SERIALIZATION and a non-integer step ERR_INVALID_ARGUMENT",
      async () => {
        const { cache } = ctx.storage;
        await cache.set("text", "hello");
        await cache.set("float", 1.5);
        await expectCode(cache.incr("text"), "ERR_SERIALIZATION");
        await expectCode(cache.incr("float"), "ERR_SERIALIZATION");
        await expectCode(cache.incr("n", 1.5), "ERR_INVALID_ARGUMENT");
        expect(await cache.get("text")).toBe("hello");
        expect(await cache.has("n")).toBe(false);
      },
    );

    if (selected.lock)
      it("bad lock options are ERR_INVALID_ARGUMENT", async () => {
        const { lock } = ctx.storage;
        await expectCode(lock.acquire("l", { waitMs: -1 }), "ERR_INVALID_ARGUMENT");
        await expectCode(lock.acquire("l", { retryDelayMs: 0 }), "ERR_INVALID_ARGUMENT");
        expect(await lock.inspect("l")).toBeUndefined();
      });

    if (selected.checkpoint)
      it("bad checkpoint input is a typed error and nothing is written", async () => {
        const { checkpoint } = ctx.storage;
        await expectCode(checkpoint.put({ threadId: "", payload: 1 }), "ERR_INVALID_KEY");
        await expectCode(checkpoint.put({ threadId: "t", payload: 1, metadata: [] as never }), "ERR_INVALID_ARGUMENT");
        await expectCode(checkpoint.put({ threadId: "t", payload: undefined }), "ERR_SERIALIZATION");
        await expectCode(
          checkpoint.put({ threadId: "t", payload: 1, channels: { a: {} as never } }),
          "ERR_INVALID_ARGUMENT",
        );
        await expectCode(collect(checkpoint.list({ limit: 0 })), "ERR_INVALID_ARGUMENT");
        await expectCode(checkpoint.prune("t", { keepLast: -1 }), "ERR_INVALID_ARGUMENT");
        expect(await checkpoint.countThread("t")).toBe(0);
      });
  });
}
