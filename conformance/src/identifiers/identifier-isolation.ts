import type { Storage } from "@stowage/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyParameters } from "../runs.js";
import type { Selection } from "../selection.js";
import { collect, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";
import { checkpointNs, identifier, SEPARATORS, shiftedPairs, TWINS } from "./identifier-cases.js";

interface Tuple {
  threadId: string;
  ns: string;
  id: string;
  channel: string;
  version: string;
  taskId: string;
}

/** Two different identifiers: unrelated, twins (case, normalisation) or one a separator-extension of the other. */
function distinctPair(): fc.Arbitrary<[string, string]> {
  const twins = fc
    .tuple(identifier(), fc.constantFrom(...TWINS), fc.constantFrom(...TWINS))
    .map(([base, a, b]): [string, string] => [`${base}${a}`, `${base}${b}`]);
  const extended = shiftedPairs().map(([[a, b], [c, d]]): [string, string] => [`${a}${b}`.slice(0, 200), `${c}${d}`]);
  return fc
    .oneof(
      fc.tuple(identifier(), identifier()),
      twins,
      extended,
      shiftedPairs().map(([[a], [b]]): [string, string] => [a, b]),
    )
    .filter(([a, b]) => a !== b && Buffer.byteLength(a) <= 1024 && Buffer.byteLength(b) <= 1024 && a.length > 0);
}

function tuple(): fc.Arbitrary<Tuple> {
  return fc.record({
    threadId: identifier(),
    ns: checkpointNs(),
    id: identifier(),
    channel: identifier(),
    version: identifier(),
    taskId: identifier(),
  });
}

/** Tuples that a layout joining (thread, ns) or (ns, id) with a separator would turn into one. */
function shiftedTuples(): fc.Arbitrary<[Tuple, Tuple]> {
  return fc
    .tuple(fc.boolean(), shiftedPairs(true), tuple())
    .map(([threadAndNs, [[a, b], [c, d]], base]): [Tuple, Tuple] =>
      threadAndNs
        ? [
            { ...base, threadId: a, ns: b },
            { ...base, threadId: c, ns: d },
          ]
        : [
            { ...base, ns: a, id: b || base.id },
            { ...base, ns: c, id: d || base.id },
          ],
    );
}

/** For every separator, the pair of tuples a layout joining (thread, ns) or (ns, id) with it would merge: always run. */
function separatorExamples(): [[Tuple, Tuple]][] {
  const base: Tuple = { threadId: "t", ns: "", id: "i", channel: "c", version: "1", taskId: "k" };
  return SEPARATORS.flatMap((s): [[Tuple, Tuple]][] => [
    [
      [
        { ...base, threadId: "a", ns: `x${s}y` },
        { ...base, threadId: `a${s}x`, ns: "y" },
      ],
    ],
    [
      [
        { ...base, ns: "p", id: `q${s}r` },
        { ...base, ns: `p${s}q`, id: "r" },
      ],
    ],
  ]);
}

const same = (a: Tuple, b: Tuple) => a.threadId === b.threadId && a.ns === b.ns && a.id === b.id;

async function putTuple(storage: Storage, t: Tuple, value: number): Promise<void> {
  await storage.checkpoint.put({
    threadId: t.threadId,
    ns: t.ns,
    id: t.id,
    payload: value,
    channels: { [t.channel]: t.version },
    blobs: [{ channel: t.channel, version: t.version, value }],
  });
  await storage.checkpoint.putWrites(t.threadId, { ns: t.ns, checkpointId: t.id }, [
    { taskId: t.taskId, index: 0, channel: t.channel, value },
  ]);
}

async function expectTuple(storage: Storage, t: Tuple, value: number): Promise<void> {
  const loaded = await storage.checkpoint.get(t.threadId, { ns: t.ns, id: t.id });
  expect(loaded?.id).toBe(t.id);
  expect(loaded?.threadId).toBe(t.threadId);
  expect(loaded?.ns).toBe(t.ns);
  expect(loaded?.payload).toBe(value);
  expect(loaded?.channels).toEqual({ [t.channel]: t.version });
  expect(loaded?.channelValues).toEqual({ [t.channel]: value });
  expect(loaded?.pendingWrites.map((w) => [w.taskId, w.channel, w.value])).toEqual([[t.taskId, t.channel, value]]);
}

/**
 * Identifiers of every field, fuzzed toward the separators of every layout: each round-trips, and
 * two distinct ones never share storage (a write, list, delete, clear or prune of one never
 * changes, lists or removes the other).
 */
export function identifierIsolation(target: ConformanceTarget, selected: Selection): void {
  describe("identifiers: round-trip and isolation (fast-check)", () => {
    const ctx = useStorage(target);

    if (selected.cache)
      it("two distinct cache keys never share an entry: set, delete, keys(prefix) and clear", async () => {
        const { cache } = ctx.storage;
        await fc.assert(
          fc.asyncProperty(distinctPair(), async ([a, b]) => {
            await cache.set(a, "a");
            await cache.set(b, "b");
            expect(await cache.getMany([a, b])).toEqual(["a", "b"]);
            expect((await collect(cache.keys(a))).sort()).toEqual([a, ...(b.startsWith(a) ? [b] : [])].sort());
            expect(await cache.delete(b)).toBe(true);
            expect(await cache.get(a)).toBe("a");
            expect(await collect(cache.keys())).toEqual([a]);
            await cache.clear();
            expect(await collect(cache.keys())).toEqual([]);
          }),
          propertyParameters(15),
        );
      });

    if (selected.lock)
      it("two distinct lock names are two locks, each with its own rising tokens", async () => {
        const { lock } = ctx.storage;
        await fc.assert(
          fc.asyncProperty(distinctPair(), async ([a, b]) => {
            const first = await lock.tryAcquire(a, { ttl: 10_000 });
            expect(first).toBeDefined();
            const other = await lock.tryAcquire(b, { ttl: 10_000 });
            expect(other, "a different name is free").toBeDefined();
            expect(await lock.tryAcquire(a, { ttl: 10_000 })).toBeUndefined();
            expect(await other?.release()).toBe(true);
            expect(await first?.release()).toBe(true);
            const again = await lock.tryAcquire(a, { ttl: 10_000 });
            expect(again?.token).toBeGreaterThan(first?.token as bigint);
            await again?.release();
          }),
          propertyParameters(10),
        );
      });

    if (selected.checkpoint)
      it("1024 bytes in every field of one checkpoint at once (1-, 2-, 3- and 4-byte characters) round-trips", async () => {
        const { storage } = ctx;
        const atLimit = (c: string) => {
          const text = c.repeat(Math.floor(1024 / Buffer.byteLength(c)));
          return text + "x".repeat(1024 - Buffer.byteLength(text));
        };
        const t: Tuple = {
          threadId: atLimit("é"),
          ns: atLimit("🦄"),
          id: atLimit("€"),
          channel: atLimit("}"),
          version: atLimit("\0"),
          taskId: atLimit("/"),
        };
        for (const text of Object.values(t)) expect(Buffer.byteLength(text)).toBe(1024);
        await putTuple(storage, t, 7);
        await expectTuple(storage, t, 7);
        expect((await collect(storage.checkpoint.list())).map((c) => c.id)).toEqual([t.id]);
        expect(await storage.checkpoint.prune(t.threadId, { keepLast: 0 })).toBe(1);
        expect(await storage.checkpoint.countThread(t.threadId)).toBe(0);
        // A thread pruned to nothing is gone (Redis kept its write counter and its entry in the threads set).
        expect(await storage.checkpoint.stats()).toMatchObject({ threads: 0, checkpoints: 0 });
        await storage.checkpoint.deleteThread(t.threadId);
        expect(await storage.checkpoint.stats()).toMatchObject({ threads: 0, checkpoints: 0 });
      });

    if (selected.checkpoint)
      it("checkpoints in every field round-trip, and deleteThread and prune of one never touch another", async () => {
        const { storage } = ctx;
        await fc.assert(
          fc.asyncProperty(fc.oneof(fc.tuple(tuple(), tuple()), shiftedTuples()), async ([a, b]) => {
            fc.pre(!same(a, b));
            await putTuple(storage, a, 1);
            await putTuple(storage, b, 2);
            await expectTuple(storage, a, 1);
            await expectTuple(storage, b, 2);
            const listedA = await collect(storage.checkpoint.list({ threadId: a.threadId, ns: a.ns }));
            expect(listedA.map((c) => c.id)).toEqual(
              a.threadId === b.threadId && a.ns === b.ns ? [a.id, b.id].sort().reverse() : [a.id],
            );
            if (a.threadId !== b.threadId) {
              await storage.checkpoint.deleteThread(b.threadId);
              await expectTuple(storage, a, 1);
              expect(await storage.checkpoint.get(b.threadId, { ns: b.ns })).toBeUndefined();
            } else if (a.ns !== b.ns) {
              expect(await storage.checkpoint.prune(b.threadId, { keepLast: 0, ns: b.ns })).toBe(1);
              await expectTuple(storage, a, 1);
            }
            await storage.checkpoint.deleteThread(a.threadId);
            await storage.checkpoint.deleteThread(b.threadId);
            expect(await collect(storage.checkpoint.list())).toEqual([]);
            expect(await storage.checkpoint.stats()).toMatchObject({ threads: 0, checkpoints: 0 });
          }),
          { ...propertyParameters<[[Tuple, Tuple]]>(15), examples: separatorExamples() },
        );
      });
  });
}
