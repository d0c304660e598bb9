import { describe, expect, it } from "vitest";
import { useStorage } from "../support.js";
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
  });
}
