import { describe, expect, it } from "vitest";
import type { Selection } from "../selection.js";
import { collect, uniqueNamespace, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** Two namespaces on one backend never see each other's keys, locks or checkpoints. */
export function cacheNamespaces(target: ConformanceTarget, selected: Selection): void {
  describe("namespaces", () => {
    const ctx = useStorage(target);

    it("two namespaces never see each other's keys, and clear empties only its own", async () => {
      const mine = ctx.storage;
      const theirs = await ctx.another(uniqueNamespace());
      await mine.cache.set("shared-name", "mine");
      await theirs.cache.set("shared-name", "theirs");
      await theirs.cache.set("only-theirs", 1);
      expect(await mine.cache.get("shared-name")).toBe("mine");
      expect(await mine.cache.get("only-theirs")).toBeUndefined();
      expect(await collect(mine.cache.keys())).toEqual(["shared-name"]);
      await mine.cache.clear();
      expect(await mine.cache.get("shared-name")).toBeUndefined();
      expect(await theirs.cache.get("shared-name")).toBe("theirs");
      expect(await theirs.cache.get("only-theirs")).toBe(1);
    });

    it("a second instance on the same namespace sees the same data", async () => {
      const first = ctx.storage;
      const second = await ctx.another();
      await first.cache.set("k", "v");
      expect(await second.cache.get("k")).toBe("v");
    });

    if (selected.lock && selected.checkpoint)
      it("locks and checkpoints of two namespaces are separate", async () => {
        const mine = ctx.storage;
        const theirs = await ctx.another(uniqueNamespace());
        const lease = await mine.lock.acquire("same-lock", { ttl: 5_000 });
        const other = await theirs.lock.tryAcquire("same-lock", { ttl: 5_000 });
        expect(other).toBeDefined();
        await other?.release();
        await lease.release();
        await mine.checkpoint.put({ threadId: "same-thread", payload: "mine" });
        expect(await theirs.checkpoint.get("same-thread")).toBeUndefined();
        expect(await collect(theirs.checkpoint.list())).toEqual([]);
      });
  });
}
