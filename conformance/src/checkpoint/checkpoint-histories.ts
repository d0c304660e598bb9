import type { JsonObject, Storage } from "@stowage/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyParameters } from "../runs.js";
import { collect, uniqueNamespace } from "../support.js";
import type { ConformanceTarget } from "../target.js";
import { byTaskAndIndex, CheckpointModel, type ModelWrite, type Version } from "./checkpoint-model.js";

const THREADS = ["t1", "t:2"] as const;
const NAMESPACES = ["", "sub", "sub:x"] as const;
const CHANNELS = ["messages", "counter"] as const;
/** A small pool, so that sibling branches keep minting versions another branch already has (1 and "1" differ). */
const VERSIONS: readonly Version[] = [1, 2, 3, "1", "v2"];
/** LangGraph's special indices: -1 error, -2 scheduled, -3 interrupt, -4 resume (they replace); >= 0 are kept once. */
const INDICES = [-4, -3, -2, -1, 0, 1, 2] as const;

/** One step of a history; indexes pick among what exists when the step runs, so shrinking keeps histories valid. */
export type HistoryStep =
  | {
      op: "put";
      thread: number;
      ns: number;
      /** -1: no parent; otherwise an index into the (thread, ns) checkpoints, newest first. */
      parent: number;
      /** Per channel: keep the parent's version, or name a version from the pool (with or without its blob). */
      channels: ({ keep: true } | { keep: false; version: number; blob: boolean } | { absent: true })[];
      step: number;
      kind: "a" | "b";
      /** Replace an existing checkpoint of (thread, ns) instead of adding one (index, newest first). */
      replace: number | null;
    }
  | {
      op: "putWrites";
      thread: number;
      ns: number;
      at: number;
      writes: { task: number; index: number; channel: number }[];
    }
  | { op: "get"; thread: number; ns: number; at: number | null }
  | {
      op: "list";
      thread: number | null;
      ns: number | null;
      before: number | null;
      limit: number | null;
      filter: "none" | "kind" | "step";
    }
  | { op: "deleteThread"; thread: number }
  | { op: "prune"; thread: number; keepLast: number; ns: number | null };

/** Index into a pool, mostly its first entry: histories stay on one thread and ns long enough to branch there. */
const mostlyFirst = (size: number) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(size - 1) });
const thread = mostlyFirst(THREADS.length);
const ns = mostlyFirst(NAMESPACES.length);

export const historyStep: fc.Arbitrary<HistoryStep> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("put" as const),
      thread,
      ns,
      parent: fc.integer({ min: -1, max: 3 }),
      channels: fc.tuple(
        ...CHANNELS.map(() =>
          fc.oneof(
            fc.constant({ keep: true as const }),
            fc.record({
              keep: fc.constant(false as const),
              version: fc.nat(VERSIONS.length - 1),
              blob: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
            }),
            fc.constant({ absent: true as const }),
          ),
        ),
      ),
      step: fc.nat(3),
      kind: fc.constantFrom("a" as const, "b" as const),
      replace: fc.option(fc.nat(3), { freq: 8 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("putWrites" as const),
      thread,
      ns,
      at: fc.nat(3),
      writes: fc.array(
        fc.record({ task: fc.nat(1), index: fc.constantFrom(...INDICES), channel: fc.nat(CHANNELS.length - 1) }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("get" as const), thread, ns, at: fc.option(fc.nat(4)) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("list" as const),
      thread: fc.option(thread),
      ns: fc.option(ns),
      before: fc.option(fc.nat(6)),
      limit: fc.option(fc.integer({ min: 1, max: 4 })),
      filter: fc.constantFrom("none" as const, "kind" as const, "step" as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("deleteThread" as const), thread }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("prune" as const),
      thread,
      keepLast: fc.nat(3),
      ns: fc.option(ns),
    }),
  },
);

/** Runs one history against a store and the model, checking every step. */
export async function runHistory(
  store: Storage["checkpoint"],
  steps: readonly HistoryStep[],
  prunedBlobsLinger = false,
): Promise<void> {
  const model = new CheckpointModel();
  let sequence = 0;
  const nextId = () => `c${String(++sequence).padStart(6, "0")}`;
  for (const [at, step] of steps.entries()) {
    const where = `step ${at} (${JSON.stringify(step)})`;
    switch (step.op) {
      case "put": {
        const threadId = THREADS[step.thread] as string;
        const checkpointNs = NAMESPACES[step.ns] as string;
        const existing = model.ids(threadId, checkpointNs);
        const parentId = step.parent >= 0 ? existing[step.parent % Math.max(existing.length, 1)] : undefined;
        const parentChannels = parentId ? (model.channelsOf(threadId, checkpointNs, parentId) ?? {}) : {};
        const replaced = step.replace !== null && existing.length > 0 ? existing[step.replace % existing.length] : null;
        const id = replaced ?? nextId();
        const channels: Record<string, Version> = {};
        const blobs: { channel: string; version: Version; value: unknown }[] = [];
        step.channels.forEach((choice, i) => {
          const channel = CHANNELS[i] as string;
          if ("absent" in choice) return;
          if (choice.keep) {
            const inherited = parentChannels[channel];
            if (inherited !== undefined) channels[channel] = inherited;
            return;
          }
          const version = VERSIONS[choice.version] as Version;
          // Where pruned orphans may linger, a version prune retired is not named again (it could read the old blob).
          if (prunedBlobsLinger && model.isRetired(threadId, checkpointNs, channel, version)) return;
          channels[channel] = version;
          // The value names the put that wrote it: a later write of the same version would show.
          if (choice.blob) blobs.push({ channel, version, value: { channel, version, step: at } });
        });
        const metadata: JsonObject = { step: step.step, kind: step.kind };
        const payload = { put: id, at };
        await store.put({
          threadId,
          ns: checkpointNs,
          id,
          parentId: parentId ?? null,
          metadata,
          payload,
          channels,
          blobs,
        });
        model.put({ threadId, ns: checkpointNs, id, parentId: parentId ?? null, metadata, payload, channels }, blobs);
        break;
      }
      case "putWrites": {
        const threadId = THREADS[step.thread] as string;
        const checkpointNs = NAMESPACES[step.ns] as string;
        const existing = model.ids(threadId, checkpointNs);
        if (existing.length === 0) break;
        const checkpointId = existing[step.at % existing.length] as string;
        const writes: ModelWrite[] = step.writes.map((w, i) => ({
          taskId: `task-${w.task}`,
          index: w.index,
          channel: CHANNELS[w.channel] as string,
          value: { step: at, write: i },
          taskPath: w.task === 1 ? "~path" : "",
        }));
        await store.putWrites(threadId, { ns: checkpointNs, checkpointId }, writes);
        model.putWrites(threadId, checkpointNs, checkpointId, writes);
        break;
      }
      case "get": {
        const threadId = THREADS[step.thread] as string;
        const checkpointNs = NAMESPACES[step.ns] as string;
        const existing = model.ids(threadId, checkpointNs);
        // at past the end asks for an id that is not there.
        const id = step.at === null ? undefined : (existing[step.at] ?? `c${"9".repeat(6)}-missing`);
        const expected = model.get(threadId, checkpointNs, id);
        const loaded = await store.get(threadId, { ns: checkpointNs, ...(id !== undefined ? { id } : {}) });
        const actual = loaded && {
          id: loaded.id,
          parentId: loaded.parentId,
          metadata: loaded.metadata,
          payload: loaded.payload,
          channels: loaded.channels,
          channelValues: loaded.channelValues,
          pendingWrites: loaded.pendingWrites
            .map((w) => ({
              taskId: w.taskId,
              index: w.index,
              channel: w.channel,
              value: w.value,
              taskPath: w.taskPath ?? "",
            }))
            .sort(byTaskAndIndex),
        };
        expect(actual, where).toEqual(expected);
        if (loaded) expect(loaded.threadId, where).toBe(threadId);
        break;
      }
      case "list": {
        const ids = model.list({}).map((c) => c.id);
        const filters: Record<typeof step.filter, JsonObject | undefined> = {
          none: undefined,
          kind: { kind: "a" },
          step: { step: 1 },
        };
        const filter = filters[step.filter];
        const options = {
          ...(step.thread !== null ? { threadId: THREADS[step.thread] as string } : {}),
          ...(step.ns !== null ? { ns: NAMESPACES[step.ns] as string } : {}),
          ...(step.before !== null ? { before: ids[step.before] ?? "c999999" } : {}),
          ...(step.limit !== null ? { limit: step.limit } : {}),
          ...(filter !== undefined ? { filter } : {}),
        };
        const listed = (await collect(store.list(options))).map(
          ({ threadId, ns, id, parentId, metadata, payload }) => ({
            threadId,
            ns,
            id,
            parentId,
            metadata,
            payload,
          }),
        );
        expect(listed, `${where} list(${JSON.stringify(options)})`).toEqual(model.list(options));
        break;
      }
      case "deleteThread": {
        const threadId = THREADS[step.thread] as string;
        await store.deleteThread(threadId);
        model.deleteThread(threadId);
        expect(await store.countThread(threadId), where).toBe(0);
        expect(await store.get(threadId, { ns: "" }), where).toBeUndefined();
        break;
      }
      case "prune": {
        const threadId = THREADS[step.thread] as string;
        const pruneNs = step.ns === null ? undefined : (NAMESPACES[step.ns] as string);
        const removed = await store.prune(threadId, {
          keepLast: step.keepLast,
          ...(pruneNs !== undefined ? { ns: pruneNs } : {}),
        });
        expect(removed, where).toBe(model.prune(threadId, step.keepLast, pruneNs));
        break;
      }
    }
  }
  // The end state, everywhere at once: every checkpoint of every thread and ns, and the counts.
  for (const threadId of THREADS) {
    for (const checkpointNs of NAMESPACES) {
      for (const id of model.ids(threadId, checkpointNs)) {
        const loaded = await store.get(threadId, { ns: checkpointNs, id });
        expect(loaded?.channelValues, `end: ${threadId}/${checkpointNs}/${id}`).toEqual(
          model.get(threadId, checkpointNs, id)?.channelValues,
        );
      }
    }
  }
  expect(await store.stats(), "end: stats").toMatchObject(model.stats());
}

/** Model-based histories over the checkpoint contract: each step of a random history checked against a plain model. */
export function checkpointHistories(target: ConformanceTarget): void {
  describe("checkpoint histories against a model", () => {
    it("random histories of put (branching, repeated versions), putWrites, get, list, deleteThread and prune read as the model says", async () => {
      // Redis round trips cost more; every backend still runs the same kind of histories.
      const runs = target.name.includes("redis") ? 15 : 30;
      await fc.assert(
        fc.asyncProperty(fc.array(historyStep, { minLength: 1, maxLength: 40, size: "medium" }), async (steps) => {
          const storage = await target.open(uniqueNamespace());
          try {
            await runHistory(storage.checkpoint, steps, target.capabilities.prunedBlobsLinger ?? false);
          } finally {
            for (const threadId of THREADS) await storage.checkpoint.deleteThread(threadId).catch(() => {});
            await storage.close();
          }
        }),
        propertyParameters(runs),
      );
    }, 120_000);
  });
}
