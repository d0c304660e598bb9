import { describe, expect, it } from "vitest";
import { useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** DESIGN: a fork or replay never changes what an older checkpoint reads, whatever versions the caller gives. */
export function checkpointBranches(target: ConformanceTarget): void {
  describe("checkpoint branches", () => {
    const ctx = useStorage(target);

    it("a blob once written is never replaced: a sibling that reuses a version never changes what an older checkpoint reads", async () => {
      const { checkpoint } = ctx.storage;
      for (const ns of ["", "sub"]) {
        const root = await checkpoint.put({
          threadId: "t",
          ns,
          payload: 0,
          channels: { items: 1 },
          blobs: [{ channel: "items", version: 1, value: ["start"] }],
        });
        const original = await checkpoint.put({
          threadId: "t",
          ns,
          parentId: root.id,
          payload: 1,
          channels: { items: 2 },
          blobs: [{ channel: "items", version: 2, value: ["start", "a"] }],
        });
        // A sibling from the same parent that mints the same version (LangGraph's default integer versions did).
        const fork = await checkpoint.put({
          threadId: "t",
          ns,
          parentId: root.id,
          payload: 2,
          channels: { items: 2 },
          blobs: [{ channel: "items", version: 2, value: ["start", "FORK"] }],
        });
        // Putting the original again (a retried put) leaves its blob as it was too.
        await checkpoint.put({
          threadId: "t",
          ns,
          id: original.id,
          parentId: root.id,
          payload: 1,
          channels: { items: 2 },
          blobs: [{ channel: "items", version: 2, value: ["retried"] }],
        });
        expect((await checkpoint.get("t", { ns, id: original.id }))?.channelValues).toEqual({ items: ["start", "a"] });
        expect((await checkpoint.get("t", { ns, id: fork.id }))?.channelValues).toEqual({ items: ["start", "a"] });
        expect((await checkpoint.get("t", { ns, id: root.id }))?.channelValues).toEqual({ items: ["start"] });
      }
    });
  });
}
