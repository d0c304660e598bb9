import { describe, expect, it } from "vitest";
import { concurrently, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** incr, add and json.set stay correct under hundreds of concurrent callers on several instances. */
export function cacheAtomic(target: ConformanceTarget): void {
  describe("cache atomicity", () => {
    const ctx = useStorage(target);

    it("400 concurrent incr calls from two instances lose no update", async () => {
      const other = await ctx.another();
      const caches = [ctx.storage.cache, other.cache];
      await concurrently(400, (i) => (caches[i % 2] as typeof ctx.storage.cache).incr("counter"));
      expect(await ctx.storage.cache.get("counter")).toBe(400);
    });

    it("of 200 concurrent add calls on one key from two instances exactly one wins", async () => {
      const other = await ctx.another();
      const caches = [ctx.storage.cache, other.cache];
      const results = await concurrently(200, (i) => (caches[i % 2] as typeof ctx.storage.cache).add("winner", i));
      expect(results.filter(Boolean).length).toBe(1);
      expect(await ctx.storage.cache.get("winner")).toBe(results.indexOf(true));
    });

    it("200 concurrent json.set calls on different paths of one document lose no field", async () => {
      const other = await ctx.another();
      const caches = [ctx.storage.cache, other.cache];
      await ctx.storage.cache.set("doc", { fields: {} });
      await concurrently(200, (i) => (caches[i % 2] as typeof ctx.storage.cache).json.set("doc", `$.fields.f${i}`, i));
      const doc = (await ctx.storage.cache.get("doc")) as { fields: Record<string, number> };
      expect(Object.keys(doc.fields).length).toBe(200);
      for (let i = 0; i < 200; i++) expect(doc.fields[`f${i}`]).toBe(i);
    });
  });
}
