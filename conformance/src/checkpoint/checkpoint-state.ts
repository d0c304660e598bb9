import { describe, expect, it } from "vitest";
import { collect, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";
import { checkpointListLoaded } from "./checkpoint-list-loaded.js";

/** Channel blobs shared across checkpoints, pending writes, deletes that leave nothing, and list with state. */
export function checkpointState(target: ConformanceTarget): void {
  describe("checkpoint blobs, writes and deletion", () => {
    const ctx = useStorage(target);

    it("a blob is stored once per channel version and shared by later checkpoints", async () => {
      const { checkpoint } = ctx.storage;
      const c1 = await checkpoint.put({
        threadId: "t",
        payload: 1,
        channels: { messages: 1, counter: 1 },
        blobs: [
          { channel: "messages", version: 1, value: ["hi"] },
          { channel: "counter", version: 1, value: 0 },
        ],
      });
      const afterFirst = await checkpoint.countThread("t");
      const c2 = await checkpoint.put({
        threadId: "t",
        parentId: c1.id,
        payload: 2,
        channels: { messages: 2, counter: 1 },
        blobs: [{ channel: "messages", version: 2, value: ["hi", "there"] }],
      });
      const afterSecond = await checkpoint.countThread("t");
      await checkpoint.put({ threadId: "t", parentId: c2.id, payload: 3, channels: { messages: 2, counter: 1 } });
      const afterThird = await checkpoint.countThread("t");
      // A checkpoint that changed one channel adds exactly one blob record more than one that changed none.
      expect(afterSecond - afterFirst).toBe(afterThird - afterSecond + 1);
      expect((await checkpoint.get("t", { id: c2.id }))?.channelValues).toEqual({
        messages: ["hi", "there"],
        counter: 0,
      });
      expect((await checkpoint.get("t", { id: c1.id }))?.channelValues).toEqual({ messages: ["hi"], counter: 0 });
      expect((await checkpoint.get("t"))?.channelValues).toEqual({ messages: ["hi", "there"], counter: 0 });
    });

    it("string and number versions of a channel are different versions", async () => {
      const { checkpoint } = ctx.storage;
      await checkpoint.put({
        threadId: "t",
        payload: 1,
        channels: { c: 1 },
        blobs: [{ channel: "c", version: 1, value: "number" }],
      });
      const second = await checkpoint.put({
        threadId: "t",
        payload: 2,
        channels: { c: "1" },
        blobs: [{ channel: "c", version: "1", value: "string" }],
      });
      expect((await checkpoint.get("t", { id: second.id }))?.channelValues).toEqual({ c: "string" });
    });

    it("number versions that are not safe integers keep their own blobs, never a near neighbour's", async () => {
      const { checkpoint } = ctx.storage;
      const odd = { a: 0.1 + 0.2, b: 1e21, c: 1.5, d: -3, e: 2 ** 53 + 2, f: "0.3" };
      // Neighbours that print alike in a lossy number format: they must not stand in for the versions above.
      await checkpoint.put({
        threadId: "t",
        payload: 0,
        channels: { a: 0.3, b: 1e21 + 2 ** 20, e: 2 ** 53 },
        blobs: [
          { channel: "a", version: 0.3, value: "neighbour a" },
          { channel: "b", version: 1e21 + 2 ** 20, value: "neighbour b" },
          { channel: "e", version: 2 ** 53, value: "neighbour e" },
        ],
      });
      const { id } = await checkpoint.put({
        threadId: "t",
        payload: 1,
        channels: odd,
        blobs: Object.entries(odd).map(([channel, version]) => ({ channel, version, value: `own ${channel}` })),
      });
      const expected = Object.fromEntries(Object.keys(odd).map((channel) => [channel, `own ${channel}`]));
      expect((await checkpoint.get("t", { id }))?.channelValues).toEqual(expected);
      expect((await checkpoint.get("t"))?.channels).toEqual(odd);
    });

    it("pending writes append once per (task, index) and the negative indices replace", async () => {
      const { checkpoint } = ctx.storage;
      const { id } = await checkpoint.put({ threadId: "t", payload: 0 });
      const other = await checkpoint.put({ threadId: "t", payload: 1 });
      await checkpoint.putWrites("t", { checkpointId: id }, [
        { taskId: "task-1", index: 0, channel: "a", value: "first" },
        { taskId: "task-1", index: 1, channel: "b", value: "second" },
        { taskId: "task-1", index: -1, channel: "__error__", value: "error 1" },
      ]);
      await checkpoint.putWrites("t", { checkpointId: id }, [
        { taskId: "task-1", index: 0, channel: "a", value: "ignored: index 0 exists" },
        { taskId: "task-1", index: -1, channel: "__error__", value: "error 2" },
        { taskId: "task-2", index: 0, channel: "a", value: "other task", taskPath: "~path" },
      ]);
      const loaded = await checkpoint.get("t", { id });
      const writes = (loaded?.pendingWrites ?? [])
        .map((w) => [w.taskId, w.index, w.channel, w.value, w.taskPath ?? ""])
        .sort((x, y) => String(x[0]).localeCompare(String(y[0])) || (x[1] as number) - (y[1] as number));
      expect(writes).toEqual([
        ["task-1", -1, "__error__", "error 2", ""],
        ["task-1", 0, "a", "first", ""],
        ["task-1", 1, "b", "second", ""],
        ["task-2", 0, "a", "other task", "~path"],
      ]);
      expect((await checkpoint.get("t", { id: other.id }))?.pendingWrites).toEqual([]);
    });

    it("deleteThread leaves nothing: no checkpoint, blob, write or index entry, in any ns", async () => {
      const { checkpoint } = ctx.storage;
      for (const threadId of ["doomed", "kept"]) {
        for (const ns of ["", "sub:1"]) {
          for (let i = 0; i < 4; i++) {
            const { id } = await checkpoint.put({
              threadId,
              ns,
              payload: i,
              metadata: { i },
              channels: { c: i },
              blobs: [{ channel: "c", version: i, value: `v${i}` }],
            });
            await checkpoint.putWrites(threadId, { ns, checkpointId: id }, [
              { taskId: "t", index: 0, channel: "c", value: i },
              { taskId: "t", index: -2, channel: "__scheduled__", value: i },
            ]);
          }
        }
      }
      const keptBefore = await checkpoint.countThread("kept");
      expect(await checkpoint.countThread("doomed")).toBeGreaterThanOrEqual(8 + 8 + 16);
      await checkpoint.deleteThread("doomed");
      expect(await checkpoint.countThread("doomed")).toBe(0);
      expect(await checkpoint.get("doomed")).toBeUndefined();
      expect(await checkpoint.get("doomed", { ns: "sub:1" })).toBeUndefined();
      expect(await collect(checkpoint.list({ threadId: "doomed" }))).toEqual([]);
      expect((await collect(checkpoint.list())).every((c) => c.threadId === "kept")).toBe(true);
      expect(await checkpoint.countThread("kept")).toBe(keptBefore);
      expect((await checkpoint.get("kept"))?.channelValues).toEqual({ c: "v3" });
      expect((await checkpoint.stats()).threads).toBe(1);
    });

    it("prune keeps the newest checkpoints per ns with the blobs they name", async () => {
      const { checkpoint } = ctx.storage;
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const channels = { slow: 0, fast: i };
        const blobs = [{ channel: "fast", version: i, value: `fast${i}` }];
        if (i === 0) blobs.push({ channel: "slow", version: 0, value: "slow0" });
        const { id } = await checkpoint.put({ threadId: "t", payload: i, channels, blobs });
        await checkpoint.putWrites("t", { checkpointId: id }, [{ taskId: "x", index: 0, channel: "c", value: i }]);
        ids.push(id);
      }
      const before = await checkpoint.countThread("t");
      expect(await checkpoint.prune("t", { keepLast: 2 })).toBe(4);
      expect((await collect(checkpoint.list({ threadId: "t" }))).map((c) => c.id)).toEqual([ids[5], ids[4]]);
      expect((await checkpoint.get("t", { id: ids[4] as string }))?.channelValues).toEqual({
        slow: "slow0",
        fast: "fast4",
      });
      expect(await checkpoint.get("t", { id: ids[0] as string })).toBeUndefined();
      expect(await checkpoint.countThread("t")).toBeLessThan(before);
      await checkpoint.prune("t", { keepLast: 0 });
      expect(await checkpoint.countThread("t")).toBe(0);
    });
  });
  checkpointListLoaded(target);
}
