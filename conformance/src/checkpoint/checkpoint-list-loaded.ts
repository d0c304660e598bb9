import { CheckpointStore, type ListOptions } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { collect, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** Two threads × two ns × five checkpoints, each with a changed blob, a shared one, and writes on some. */
async function fill(store: CheckpointStore): Promise<void> {
  for (const threadId of ["a", "b"]) {
    for (const ns of ["", "sub"]) {
      for (let i = 0; i < 5; i++) {
        const blobs: { channel: string; version: string | number; value: unknown }[] = [
          { channel: "step", version: i, value: { i, threadId, ns } },
        ];
        if (i === 0) blobs.push({ channel: "context", version: "v1", value: { text: "kept" } });
        const { id } = await store.put({
          threadId,
          ns,
          payload: { i },
          metadata: { i, even: i % 2 === 0 },
          channels: { step: i, context: "v1", never: 7 },
          blobs,
        });
        if (i % 2 === 1) {
          await store.putWrites(threadId, { ns, checkpointId: id }, [
            { taskId: "t1", index: 0, channel: "x", value: [i] },
            { taskId: "t1", index: -1, channel: "__error__", value: "e" },
          ]);
        }
      }
    }
  }
}

const SHAPES: ListOptions[] = [
  {},
  { threadId: "a" },
  { threadId: "a", ns: "sub" },
  { ns: "" },
  { threadId: "b", limit: 3 },
  { limit: 7 },
  { threadId: "a", filter: { even: true } },
  { filter: { even: false }, limit: 3 },
];

/** The batch read of listed checkpoints: listWithState, and the driver's optional listLoadedPage. */
export function checkpointListLoaded(target: ConformanceTarget): void {
  describe("checkpoint list with state", () => {
    const ctx = useStorage(target);

    it("listWithState gives what list gives, each checkpoint as get gives it", async () => {
      const store = ctx.storage.checkpoint;
      if (!(store instanceof CheckpointStore)) {
        console.warn("skipped: this target's checkpoint store is not core's CheckpointStore (no listWithState)");
        return;
      }
      await fill(store);
      for (const options of SHAPES) {
        const listed = await collect(store.list(options));
        const withState = await collect(store.listWithState(options));
        const shape = JSON.stringify(options);
        expect(
          withState.map((c) => [c.threadId, c.ns, c.id]),
          shape,
        ).toEqual(listed.map((c) => [c.threadId, c.ns, c.id]));
        for (const checkpoint of withState) {
          expect(checkpoint, shape).toEqual(await store.get(checkpoint.threadId, checkpoint));
        }
      }
      const [newest] = await collect(store.listWithState({ threadId: "a", ns: "sub", limit: 1 }));
      expect(newest?.channelValues).toEqual({ step: { i: 4, threadId: "a", ns: "sub" }, context: { text: "kept" } });
    });

    it("a driver's listLoadedPage returns listPage's checkpoints with get's blobs and writes", async (context) => {
      const store = ctx.storage.checkpoint;
      const driver = store instanceof CheckpointStore ? store.driver : undefined;
      if (driver?.listLoadedPage === undefined) {
        const reason = "this backend's checkpoint driver has no listLoadedPage (core falls back to get)";
        console.warn(`[conformance] skipped: ${reason}`);
        context.skip(reason);
        return;
      }
      await fill(store as CheckpointStore);
      const first = await driver.listPage({ limit: 100 });
      for (const query of [
        { limit: 100 },
        { threadId: "a", limit: 4 },
        { threadId: "b", ns: "", limit: 10 },
        { ns: "sub", limit: 3, before: first[2]?.id as string },
      ]) {
        const page = await driver.listPage(query);
        const loaded = await driver.listLoadedPage(query);
        const shape = JSON.stringify(query);
        expect(loaded.length, shape).toBeGreaterThan(0);
        expect(
          loaded.map((c) => [c.threadId, c.ns, c.id]),
          shape,
        ).toEqual(page.map((c) => [c.threadId, c.ns, c.id]));
        for (const checkpoint of loaded) {
          const got = await driver.get(checkpoint.threadId, checkpoint.ns, checkpoint.id);
          const byChannel = (blobs: { channel: string }[]) =>
            [...blobs].sort((x, y) => x.channel.localeCompare(y.channel));
          expect(byChannel(checkpoint.blobs), shape).toEqual(byChannel(got?.blobs ?? []));
          expect({ ...checkpoint, blobs: [] }, shape).toEqual({ ...got, blobs: [] });
        }
      }
      expect(await driver.listLoadedPage({ threadId: "no-such-thread", limit: 5 })).toEqual([]);
    });
  });
}
