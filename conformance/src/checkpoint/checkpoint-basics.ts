import { newCheckpointId } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { collect, sleepMs, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** Puts a chain of checkpoints on a thread (oldest first) and returns their ids. */
async function chain(
  checkpoint: { put: (input: never) => Promise<{ id: string }> },
  threadId: string,
  count: number,
  extra: (i: number) => Record<string, unknown> = () => ({}),
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const input = { threadId, parentId: ids.at(-1) ?? null, payload: { step: i }, metadata: { step: i }, ...extra(i) };
    ids.push((await checkpoint.put(input as never)).id);
  }
  return ids;
}

/** put/get/list/putWrites/deleteThread/prune keep LangGraph's data model on every backend. */
export function checkpointBasics(target: ConformanceTarget): void {
  describe("checkpoint", () => {
    const ctx = useStorage(target);

    it("get returns the latest checkpoint, or the one asked by id, with payload and metadata", async () => {
      const { checkpoint } = ctx.storage;
      const ids = await chain(checkpoint, "run-42", 3);
      const latest = await checkpoint.get("run-42");
      expect(latest?.id).toBe(ids[2]);
      expect(latest?.parentId).toBe(ids[1]);
      expect(latest?.payload).toEqual({ step: 2 });
      expect(latest?.metadata).toEqual({ step: 2 });
      expect(latest?.ns).toBe("");
      const first = await checkpoint.get("run-42", { id: ids[0] as string });
      expect(first?.payload).toEqual({ step: 0 });
      expect(first?.parentId).toBeNull();
      expect(await checkpoint.get("run-42", { id: newCheckpointId() })).toBeUndefined();
      expect(await checkpoint.get("no-such-thread")).toBeUndefined();
    });

    it("ids made by newCheckpointId sort by creation time", async () => {
      const ids = Array.from({ length: 500 }, () => newCheckpointId());
      expect([...ids].sort()).toEqual(ids);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it("list is newest first, honours before and limit, and pages without gaps or repeats", async () => {
      const { checkpoint } = ctx.storage;
      const ids = await chain(checkpoint, "t", 25);
      const newestFirst = [...ids].reverse();
      expect((await collect(checkpoint.list({ threadId: "t" }))).map((c) => c.id)).toEqual(newestFirst);
      expect((await collect(checkpoint.list({ threadId: "t", limit: 3 }))).map((c) => c.id)).toEqual(
        newestFirst.slice(0, 3),
      );
      expect(
        (await collect(checkpoint.list({ threadId: "t", before: ids[10] as string, limit: 2 }))).map((c) => c.id),
      ).toEqual([ids[9], ids[8]]);
      const paged: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await collect(checkpoint.list({ threadId: "t", limit: 10, ...(before ? { before } : {}) }));
        paged.push(...page.map((c) => c.id));
        if (page.length < 10) break;
        before = page.at(-1)?.id;
      }
      expect(paged).toEqual(newestFirst);
    });

    it("list filters on any metadata key, nested values compared whole", async () => {
      const { checkpoint } = ctx.storage;
      await chain(checkpoint, "t", 6, (i) => ({
        metadata: { source: i % 2 ? "loop" : "input", step: i, writes: { node: i < 3 ? "a" : "b" } },
      }));
      const loops = await collect(checkpoint.list({ threadId: "t", filter: { source: "loop" } }));
      expect(loops.map((c) => c.metadata.step)).toEqual([5, 3, 1]);
      const nested = await collect(
        checkpoint.list({ threadId: "t", filter: { source: "input", writes: { node: "b" } } }),
      );
      expect(nested.map((c) => c.metadata.step)).toEqual([4]);
      expect(await collect(checkpoint.list({ threadId: "t", filter: { missing: 1 } }))).toEqual([]);
      expect((await collect(checkpoint.list({ threadId: "t", filter: { source: "loop" }, limit: 2 }))).length).toBe(2);
    });

    it("list without a thread spans every thread, newest first", async () => {
      const { checkpoint } = ctx.storage;
      const a = await chain(checkpoint, "thread-a", 2);
      const b = await chain(checkpoint, "thread-b", 2);
      const c = await chain(checkpoint, "thread-a", 1);
      const all = await collect(checkpoint.list());
      expect(all.map((x) => x.id)).toEqual([...a, ...b, ...c].sort().reverse());
      expect(all.map((x) => x.threadId)).toEqual(["thread-a", "thread-b", "thread-b", "thread-a", "thread-a"]);
      expect((await collect(checkpoint.list({ limit: 2 }))).map((x) => x.id)).toEqual([c[0], b[1]]);
    });

    it("checkpoint namespaces inside a thread are separate; list without ns spans them", async () => {
      const { checkpoint } = ctx.storage;
      const root = await checkpoint.put({ threadId: "t", payload: "root" });
      const child = await checkpoint.put({ threadId: "t", ns: "subgraph:1", payload: "child" });
      expect((await checkpoint.get("t"))?.payload).toBe("root");
      expect((await checkpoint.get("t", { ns: "subgraph:1" }))?.payload).toBe("child");
      expect(await checkpoint.get("t", { ns: "subgraph:1", id: root.id })).toBeUndefined();
      expect((await collect(checkpoint.list({ threadId: "t", ns: "subgraph:1" }))).map((c) => c.id)).toEqual([
        child.id,
      ]);
      expect((await collect(checkpoint.list({ threadId: "t" }))).map((c) => c.id)).toEqual([child.id, root.id]);
    });

    it("putting an existing id replaces that checkpoint", async () => {
      const { checkpoint } = ctx.storage;
      const { id } = await checkpoint.put({ threadId: "t", payload: "first", metadata: { v: 1 } });
      await checkpoint.put({ threadId: "t", id, payload: "second", metadata: { v: 2 } });
      expect((await checkpoint.get("t", { id }))?.payload).toBe("second");
      expect((await collect(checkpoint.list({ threadId: "t" }))).length).toBe(1);
    });

    it("payloads of any JSON shape and ~100 KB round-trip", async () => {
      const { checkpoint } = ctx.storage;
      const payload = { text: "ünïcödé 🦄".repeat(10_000), list: Array.from({ length: 100 }, (_, i) => ({ i })) };
      await checkpoint.put({ threadId: "big", payload });
      expect((await checkpoint.get("big"))?.payload).toEqual(payload);
    });

    it("a checkpoint past its ttl is never returned by get or list", async () => {
      const { checkpoint } = ctx.storage;
      const kept = await checkpoint.put({ threadId: "t", payload: "kept" }, { ttl: 60_000 });
      await checkpoint.put({ threadId: "t", payload: "short" }, { ttl: 200 });
      await sleepMs(600);
      expect((await checkpoint.get("t"))?.id).toBe(kept.id);
      expect((await collect(checkpoint.list({ threadId: "t" }))).map((c) => c.id)).toEqual([kept.id]);
      expect((await collect(checkpoint.list())).map((c) => c.id)).toEqual([kept.id]);
      await checkpoint.gc();
      expect((await checkpoint.get("t"))?.id).toBe(kept.id);
    });
  });
}
