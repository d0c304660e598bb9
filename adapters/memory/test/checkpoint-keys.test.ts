import { createStorage } from "@stowage/core";
import { describe, expect, it } from "vitest";

// The identifier fuzz of the conformance suite covers every backend; these are the memory cases the
// checkpoint histories led to (its keys joined ns and the rest with NUL).
describe("memory checkpoint keys", () => {
  it("prune of ns 'a' keeps the blobs of ns 'a\\0b', and writes of ('a', 'b\\0c') and ('a\\0b', 'c') stay apart", async () => {
    const storage = await createStorage({ cache: "memory://", lock: "memory://", checkpoint: "memory://" });
    const { checkpoint } = storage;
    const nested = await checkpoint.put({
      threadId: "t",
      ns: "a\0b",
      id: "c",
      payload: 1,
      channels: { c: 1 },
      blobs: [{ channel: "c", version: 1, value: "kept" }],
    });
    await checkpoint.put({ threadId: "t", ns: "a", id: "b\0c", payload: 2 });
    await checkpoint.putWrites("t", { ns: "a", checkpointId: "b\0c" }, [
      { taskId: "x", index: 0, channel: "w", value: 1 },
    ]);
    expect((await checkpoint.get("t", { ns: nested.ns, id: nested.id }))?.pendingWrites).toEqual([]);
    await checkpoint.prune("t", { keepLast: 1, ns: "a" });
    expect((await checkpoint.get("t", { ns: "a\0b" }))?.channelValues).toEqual({ c: "kept" });
    await storage.close();
  });
});
