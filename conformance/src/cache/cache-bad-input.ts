import { describe, expect, it } from "vitest";
import type { Selection } from "../selection.js";
import { expectCode, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/**
 * Values a store cannot take are typed errors raised before any I/O, and nothing is written
 * (wrong argument types of every method: the "errors at the edge" group).
 */
export function badInput(target: ConformanceTarget, selected: Selection): void {
  describe("bad input", () => {
    const ctx = useStorage(target);

    // Tests of a contract that was not selected are not registered at all.
    const cacheIt: typeof it = ((name: string, fn: () => Promise<void>) => selected.cache && it(name, fn)) as typeof it;
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

    if (selected.checkpoint)
      it("a checkpoint payload the codec cannot encode is ERR_SERIALIZATION and nothing is written", async () => {
        const { checkpoint } = ctx.storage;
        await expectCode(checkpoint.put({ threadId: "t", payload: undefined }), "ERR_SERIALIZATION");
        await expectCode(
          checkpoint.put({ threadId: "t", payload: 1, metadata: { when: new Date() } as never }),
          "ERR_SERIALIZATION",
        );
        expect(await checkpoint.countThread("t")).toBe(0);
      });
  });
}
