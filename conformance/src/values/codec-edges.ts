import { MAX_VALUE_DEPTH, type Storage } from "@stowage/core";
import { describe, expect, it } from "vitest";
import type { Selection } from "../selection.js";
import { collect, expectCode, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** An array nested `depth` levels deep. */
export function nestedArray(depth: number): unknown[] {
  const root: unknown[] = [];
  let current = root;
  for (let level = 1; level < depth; level++) {
    const next: unknown[] = [];
    current.push(next);
    current = next;
  }
  return root;
}

function cyclic(): unknown {
  const node: Record<string, unknown> = { list: [] };
  (node.list as unknown[]).push({ back: node });
  return node;
}

/** Values each codec must give back exactly, or refuse; never store changed. */
const KEPT_BY_MSGPACK: [string, unknown][] = [
  ["NaN", Number.NaN],
  ["-Infinity", Number.NEGATIVE_INFINITY],
  ["a BigInt", -(2n ** 70n)],
  ["a Date", new Date("2026-12-07T10:00:00.123Z")],
  ["a Map with object keys", new Map<unknown, unknown>([[{ k: 1 }, [1n]]])],
];
const REFUSED_BY_JSON: [string, unknown][] = [
  ["-0", -0],
  ["-0 inside an array", [1, -0]],
  ["a sparse array", new Array(3)],
  ["an array with an extra property", Object.assign([1, 2], { extra: true })],
  ["an object with a symbol key", { [Symbol("s")]: 1, plain: 2 }],
  ...KEPT_BY_MSGPACK,
];
const REFUSED_BY_BOTH: [string, unknown][] = [
  ["-0", -0],
  ["a sparse array", new Array(3)],
  ["a cycle", cyclic()],
  [`${MAX_VALUE_DEPTH + 1}-deep nesting`, nestedArray(MAX_VALUE_DEPTH + 1)],
  ["10,000-deep nesting", nestedArray(10_000)],
  ["10,000-deep nesting inside an object", { deep: nestedArray(10_000) }],
];

/** Every write path a value takes into a store, each expected to refuse it with ERR_SERIALIZATION. */
async function refusedEverywhere(storage: Storage, selected: Selection, value: unknown): Promise<void> {
  const { cache, checkpoint } = storage;
  if (selected.cache) {
    await expectCode(cache.set("k", value), "ERR_SERIALIZATION");
    await expectCode(cache.add("fresh", value), "ERR_SERIALIZATION");
    await expectCode(
      cache.getOrSet("fresh", () => value),
      "ERR_SERIALIZATION",
    );
    await expectCode(
      cache.setMany([
        { key: "fresh", value: 1 },
        { key: "k", value },
      ]),
      "ERR_SERIALIZATION",
    );
    await expectCode(cache.json.set("doc", "$.a", value), "ERR_SERIALIZATION");
  }
  if (selected.checkpoint) {
    await expectCode(checkpoint.put({ threadId: "t", payload: value }), "ERR_SERIALIZATION");
    await expectCode(
      checkpoint.put({ threadId: "t", payload: 1, channels: { c: 1 }, blobs: [{ channel: "c", version: 1, value }] }),
      "ERR_SERIALIZATION",
    );
    await expectCode(
      checkpoint.putWrites("t", { checkpointId: "cp" }, [{ taskId: "a", index: 0, channel: "c", value }]),
      "ERR_SERIALIZATION",
    );
  }
}

async function unchanged(storage: Storage, selected: Selection): Promise<void> {
  if (selected.cache) {
    expect(await storage.cache.get("k")).toBe("old");
    expect(await storage.cache.get("doc")).toEqual({ a: "old" });
    expect((await collect(storage.cache.keys())).sort()).toEqual(["doc", "k"]);
  }
  if (selected.checkpoint) expect(await storage.checkpoint.countThread("t")).toBe(0);
}

/** What the codecs refuse is refused by every store before anything is written, and what they keep comes back exactly. */
export function codecEdges(target: ConformanceTarget, selected: Selection): void {
  for (const codec of ["json", "msgpack"] as const) {
    describe(`codec edges (${codec})`, () => {
      const ctx = useStorage(target, { codec });
      const refused = codec === "json" ? [...REFUSED_BY_JSON, ...REFUSED_BY_BOTH] : REFUSED_BY_BOTH;

      it(`values the ${codec} codec would change are ERR_SERIALIZATION (never a RangeError) in every write, and nothing is written`, async () => {
        if (selected.cache) {
          await ctx.storage.cache.set("k", "old");
          await ctx.storage.cache.set("doc", { a: "old" });
        }
        for (const [what, value] of refused) {
          try {
            await refusedEverywhere(ctx.storage, selected, value);
          } catch (error) {
            throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
          }
        }
        if (selected.checkpoint) {
          await expectCode(
            ctx.storage.checkpoint.put({ threadId: "t", payload: 1, metadata: { deep: nestedArray(10_000) } as never }),
            "ERR_SERIALIZATION",
          );
        }
        await unchanged(ctx.storage, selected);
      });

      it(`values the ${codec} codec keeps come back exactly, nested up to ${MAX_VALUE_DEPTH} levels`, async () => {
        const { cache, checkpoint } = ctx.storage;
        const kept: [string, unknown][] = [
          ["0", 0],
          ["the deepest nesting", nestedArray(MAX_VALUE_DEPTH)],
          [
            "a shared (not cyclic) object",
            (() => {
              const shared = { x: 1 };
              return { a: shared, b: [shared] };
            })(),
          ],
          ...(codec === "msgpack" ? KEPT_BY_MSGPACK : []),
        ];
        for (const [what, value] of kept) {
          if (selected.cache) {
            await cache.set("kept", value);
            expect(await cache.get("kept"), what).toStrictEqual(value);
          }
          if (selected.checkpoint) {
            await checkpoint.put({ threadId: "kept", payload: value });
            expect((await checkpoint.get("kept"))?.payload, what).toStrictEqual(value);
          }
        }
      });
    });
  }
}
