import { describe, expect, it } from "vitest";
import { collect, expectCode, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

const LIMIT = 64 * 1024;

/** Past the size limit the least recently used entries go, and the bytes held stay within it. */
export function cacheSizeLimit(target: ConformanceTarget): void {
  describe("cache size limit (LRU)", () => {
    const ctx = useStorage(target, { maxSize: LIMIT });

    it("evicts least recently used entries past the limit, keeping one that is read often", async () => {
      const { cache } = ctx.storage;
      const value = "v".repeat(1000);
      await cache.set("hot", value);
      for (let i = 0; i < 300; i++) {
        await cache.set(`cold:${i}`, value);
        expect(await cache.get("hot"), `hot entry evicted after ${i} writes`).toBe(value);
      }
      const stats = await cache.stats();
      expect(stats.bytes).toBeLessThanOrEqual(LIMIT);
      expect(await cache.get("cold:0")).toBeUndefined();
      expect(await cache.get("cold:299")).toBe(value);
    });

    it("an entry too large for the limit is ERR_VALUE_TOO_LARGE and evicts nothing, in set, setMany, add, getOrSet and json.set", async () => {
      const { cache } = ctx.storage;
      const small = "s".repeat(1000);
      for (let i = 0; i < 10; i++) await cache.set(`kept:${i}`, small);
      await cache.set("doc", { text: small });
      const tooLarge = "x".repeat(LIMIT + 1);
      await expectCode(cache.set("big", tooLarge), "ERR_VALUE_TOO_LARGE");
      await expectCode(cache.add("big", tooLarge), "ERR_VALUE_TOO_LARGE");
      await expectCode(
        cache.getOrSet("big", () => tooLarge),
        "ERR_VALUE_TOO_LARGE",
      );
      await expectCode(
        cache.setMany([
          { key: "fresh", value: small },
          { key: "big", value: tooLarge },
        ]),
        "ERR_VALUE_TOO_LARGE",
      );
      await expectCode(cache.json.set("doc", "$.more", tooLarge), "ERR_VALUE_TOO_LARGE");
      expect(await cache.getMany(["big", "fresh"])).toEqual([undefined, undefined]);
      expect(await cache.get("doc")).toEqual({ text: small });
      const kept = await collect(cache.keys("kept:"));
      expect(kept.sort(), "an oversized write evicted entries").toEqual(
        Array.from({ length: 10 }, (_, i) => `kept:${i}`).sort(),
      );
    });

    it("an entry that alone nearly fills the limit is kept and reads back (only older entries are evicted)", async () => {
      const { cache } = ctx.storage;
      for (let i = 0; i < 10; i++) await cache.set(`old:${i}`, "o".repeat(4000));
      const near = "n".repeat(Math.floor(LIMIT * 0.95));
      await cache.set("near", near);
      expect(await cache.get("near")).toBe(near);
      expect((await cache.stats()).bytes).toBeLessThanOrEqual(LIMIT);
    });
  });
}
