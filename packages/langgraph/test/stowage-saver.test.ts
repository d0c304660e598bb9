import {
  type Checkpoint,
  ERROR,
  emptyCheckpoint,
  INTERRUPT,
  MemorySaver,
  type PendingWrite,
  uuid6,
} from "@langchain/langgraph-checkpoint";
import { createStorage, isStowageError, type Storage } from "@stowage/core";
import { afterEach, describe, expect, it } from "vitest";
import { StowageSaver } from "../src/index.js";

const opened: Storage[] = [];
afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
});

async function openStorage(codec: "json" | "msgpack" = "msgpack"): Promise<Storage> {
  const storage = await createStorage({
    cache: "memory://",
    lock: "memory://",
    checkpoint: { url: "memory://", codec },
  });
  opened.push(storage);
  return storage;
}

function checkpointWith(values: Record<string, unknown>, versions: Record<string, number>): Checkpoint {
  return { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: versions };
}

const meta = { source: "loop" as const, step: 0, parents: {} };

describe("StowageSaver", () => {
  it("a put stores one blob per big channel whose version changed; small scalars ride in the payload", async () => {
    const storage = await openStorage();
    const saver = new StowageSaver(storage.checkpoint);
    const big = "x".repeat(10_000);
    const first = checkpointWith({ messages: big, step: 1, flag: true }, { messages: 1, step: 1, flag: 1 });
    const config = await saver.put({ configurable: { thread_id: "t" } }, first, meta, first.channel_versions);
    expect(await storage.checkpoint.countThread("t")).toBe(1 + 1);
    const second = checkpointWith({ messages: big, step: 2, flag: true }, { messages: 1, step: 2, flag: 1 });
    await saver.put(config, second, { ...meta, step: 1 }, { step: 2 });
    expect(await storage.checkpoint.countThread("t")).toBe(2 + 1);
    // The store's channel map names the blob channel only; the versions are in the payload.
    expect((await storage.checkpoint.get("t"))?.channels).toEqual({ messages: 1 });
    const loaded = await saver.getTuple({ configurable: { thread_id: "t" } });
    expect(loaded?.checkpoint.channel_values).toEqual({ messages: big, step: 2, flag: true });
    expect(loaded?.checkpoint.channel_versions).toEqual({ messages: 1, step: 2, flag: 1 });
    expect(loaded?.parentConfig?.configurable?.checkpoint_id).toBe(first.id);
    // Another saver (another process) continuing the thread does not know the parent's payload:
    // the unchanged small channel is written as the blob of its version, and still reads.
    const other = new StowageSaver(storage.checkpoint);
    const third = checkpointWith({ messages: big, step: 3, flag: true }, { messages: 1, step: 3, flag: 1 });
    const thirdConfig = await other.put(loaded?.config as typeof config, third, { ...meta, step: 2 }, { step: 3 });
    expect(await storage.checkpoint.countThread("t")).toBe(3 + 2);
    expect((await other.getTuple(thirdConfig))?.checkpoint.channel_values).toEqual({
      messages: big,
      step: 3,
      flag: true,
    });
    // A value never put under newVersions is not stored (LangGraph's rule), with or without a known parent.
    const fourth = checkpointWith(
      { messages: big, step: 3, flag: true, late: 7 },
      { messages: 1, step: 3, flag: 1, late: 1 },
    );
    const fourthConfig = await other.put(thirdConfig, fourth, { ...meta, step: 3 }, {});
    expect((await other.getTuple(fourthConfig))?.checkpoint.channel_values).toEqual({
      messages: big,
      step: 3,
      flag: true,
    });
  });

  it("ordinary writes are kept once per (task, index); the special error write replaces", async () => {
    const storage = await openStorage();
    const saver = new StowageSaver(storage.checkpoint);
    const config = await saver.put({ configurable: { thread_id: "w" } }, checkpointWith({}, {}), meta, {});
    await saver.putWrites(config, [["out", "first"]], "task-1");
    await saver.putWrites(config, [["out", "second"]], "task-1");
    await saver.putWrites(config, [[ERROR, "boom 1"]], "task-1");
    await saver.putWrites(config, [[ERROR, "boom 2"]], "task-1");
    const tuple = await saver.getTuple(config);
    // Same task path and task: the error write's index (-1) sorts before index 0.
    expect(tuple?.pendingWrites).toEqual([
      ["task-1", ERROR, "boom 2"],
      ["task-1", "out", "first"],
    ]);
  });

  it("returns pending writes in LangGraph's (task path, task id, index) order", async () => {
    const storage = await openStorage();
    const saver = new StowageSaver(storage.checkpoint);
    const config = await saver.put({ configurable: { thread_id: "o" } }, checkpointWith({}, {}), meta, {});
    await saver.putWrites(
      config,
      [
        ["c", "b-0"],
        ["c", "b-1"],
      ],
      "task-b",
      "~path:2",
    );
    await saver.putWrites(config, [["c", "a-0"]], "task-a", "~path:10");
    await saver.putWrites(config, [["c", "input"]], "task-z");
    const tuple = await saver.getTuple(config);
    expect(tuple?.pendingWrites?.map(([, , value]) => value)).toEqual(["input", "a-0", "b-0", "b-1"]);
  });

  it("one call's ordinary writes are one stored write and read back as MemorySaver gives them", async () => {
    const storage = await openStorage();
    const saver = new StowageSaver(storage.checkpoint);
    const reference = new MemorySaver();
    const start = checkpointWith({}, {});
    const ours = await saver.put({ configurable: { thread_id: "p" } }, start, meta, {});
    const theirs = await reference.put({ configurable: { thread_id: "p" } }, start, meta, {});
    const calls: [PendingWrite[], string, string][] = [
      [
        [
          ["messages", [{ role: "ai", content: "hi" }]],
          ["step", 1],
          [INTERRUPT, "wait"],
          ["done", false],
        ],
        "task-b",
        "p1",
      ],
      [
        [
          ["messages", ["third"]],
          ["step", 3],
        ],
        "task-b",
        "p1",
      ],
      [
        [
          ["messages", ["again"]],
          ["step", 2],
        ],
        "task-b",
        "p1",
      ],
      [[["out", "x"]], "task-a", "p0"],
      [
        [
          ["messages", ["m"]],
          ["other", 3],
        ],
        "task-a",
        "p2",
      ],
    ];
    for (const [writes, taskId, path] of calls) {
      await saver.putWrites(ours, writes, taskId, path);
      await reference.putWrites(theirs, writes, taskId, path);
    }
    const [mine, expected] = [await saver.getTuple(ours), await reference.getTuple(theirs)];
    expect(mine?.pendingWrites).toEqual(expected?.pendingWrites);
    expect(mine?.pendingWrites).toHaveLength(6);
    // The checkpoint; task-b: two packs (index sets {0, 1, 3} and {0, 1}: the second's members are
    // already written, so it reads as nothing) and the interrupt, the third call (again {0, 1}) kept
    // out by the store; task-a: two packs ({0}, then {0, 1}, of which index 1 is new).
    expect(await storage.checkpoint.countThread("p")).toBe(1 + 3 + 2);
  });

  it("deleteThread leaves no checkpoint, blob or write of the thread", async () => {
    const storage = await openStorage();
    const saver = new StowageSaver(storage.checkpoint);
    const first = checkpointWith({ a: 1 }, { a: 1 });
    const config = await saver.put({ configurable: { thread_id: "d", checkpoint_ns: "sub" } }, first, meta, { a: 1 });
    await saver.putWrites(config, [["a", 2]], "task");
    await saver.put({ configurable: { thread_id: "keep" } }, checkpointWith({ a: 1 }, { a: 1 }), meta, { a: 1 });
    // The checkpoint, the write; a small value rides in the payload (no blob).
    expect(await storage.checkpoint.countThread("d")).toBe(2);
    await saver.deleteThread("d");
    expect(await storage.checkpoint.countThread("d")).toBe(0);
    expect(await saver.getTuple({ configurable: { thread_id: "keep" } })).toBeDefined();
  });

  it("metadata that JSON would change comes back as from MemorySaver, and filters on its JSON part", async () => {
    const storage = await openStorage();
    const saver = new StowageSaver(storage.checkpoint);
    const reference = new MemorySaver();
    const metadata = { ...meta, source: "update" as const, when: new Date(0), big: 2n ** 70n, owner: "ana" };
    const checkpoint = checkpointWith({}, {});
    await saver.put({ configurable: { thread_id: "m" } }, checkpoint, metadata, {});
    await reference.put({ configurable: { thread_id: "m" } }, checkpoint, metadata, {});
    const listed = [];
    for await (const tuple of saver.list({ configurable: { thread_id: "m" } }, { filter: { owner: "ana" } })) {
      listed.push(tuple);
    }
    expect(listed).toHaveLength(1);
    const expected = await reference.getTuple({ configurable: { thread_id: "m" } });
    expect(listed[0]?.metadata).toEqual(expected?.metadata);
  });

  it("a metadata filter matches whatever order its object's keys are in, on the by-id and the listing path alike", async () => {
    const storage = await openStorage("json");
    const saver = new StowageSaver(storage.checkpoint);
    const checkpoint = checkpointWith({}, {});
    const config = await saver.put(
      { configurable: { thread_id: "t" } },
      checkpoint,
      { ...meta, owner: { team: "ml", user: "ada" } } as typeof meta,
      {},
    );
    const filter = { owner: { user: "ada", team: "ml" } } as Record<string, unknown>;
    const listed = async (configurable: Record<string, unknown>) => {
      const ids: string[] = [];
      for await (const tuple of saver.list({ configurable }, { filter })) ids.push(tuple.checkpoint.id);
      return ids;
    };
    expect(await listed({ thread_id: "t" })).toEqual([checkpoint.id]);
    expect(await listed({ thread_id: "t", checkpoint_id: config.configurable?.checkpoint_id })).toEqual([
      checkpoint.id,
    ]);
    expect(await listed({})).toEqual([checkpoint.id]);
    const other = { owner: { user: "ada", team: "ops" } } as Record<string, unknown>;
    for await (const tuple of saver.list(
      { configurable: { thread_id: "t", checkpoint_id: checkpoint.id } },
      { filter: other },
    ))
      expect.unreachable(`matched ${tuple.checkpoint.id}`);
  });

  it("binary values in a store with the JSON codec fail with a SerializationError that names msgpack", async () => {
    const storage = await openStorage("json");
    const saver = new StowageSaver(storage.checkpoint);
    // A Set is not plain JSON, so it goes through serde and comes out as bytes.
    const checkpoint = checkpointWith({ a: new Set([1]) }, { a: 1 });
    const put = saver.put({ configurable: { thread_id: "j" } }, checkpoint, meta, { a: 1 });
    await expect(put).rejects.toSatisfy((error) => isStowageError(error, "ERR_SERIALIZATION"));
    await expect(put).rejects.toThrow(/msgpack/);
  });

  it("text values work in a store with the JSON codec", async () => {
    const storage = await openStorage("json");
    const saver = new StowageSaver(storage.checkpoint, { encoding: "text" });
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const values = { a: { nested: [1, "two"] }, raw: bytes, set: new Set(["s"]) };
    const checkpoint = checkpointWith(values, { a: 1, raw: 1, set: 1 });
    await saver.put({ configurable: { thread_id: "x" } }, checkpoint, meta, { a: 1, raw: 1, set: 1 });
    const tuple = await saver.getTuple({ configurable: { thread_id: "x" } });
    expect(tuple?.checkpoint.channel_values.a).toEqual({ nested: [1, "two"] });
    expect(tuple?.checkpoint.channel_values.set).toEqual(new Set(["s"]));
    expect(new Uint8Array(tuple?.checkpoint.channel_values.raw as Uint8Array)).toEqual(bytes);
  });

  it("plain JSON that looks like a serde record still goes through serde and loads as MemorySaver loads it", async () => {
    const storage = await openStorage();
    const saver = new StowageSaver(storage.checkpoint);
    const reference = new MemorySaver();
    const values = {
      undef: { lc: 2, type: "undefined" },
      send: { lg_name: "Send", node: "n", args: 1 },
      plain: { a: [1] },
    };
    const checkpoint = checkpointWith(values, { undef: 1, send: 1, plain: 1 });
    for (const target of [saver, reference]) {
      await target.put({ configurable: { thread_id: "s" } }, checkpoint, meta, checkpoint.channel_versions);
    }
    const ours = await saver.getTuple({ configurable: { thread_id: "s" } });
    const theirs = await reference.getTuple({ configurable: { thread_id: "s" } });
    expect(ours?.checkpoint.channel_values).toEqual(theirs?.checkpoint.channel_values);
  });

  it("put without a thread_id and putWrites without a checkpoint_id are refused", async () => {
    const storage = await openStorage();
    const saver = new StowageSaver(storage.checkpoint);
    await expect(saver.put({ configurable: {} }, checkpointWith({}, {}), meta, {})).rejects.toThrow(/thread_id/);
    await expect(saver.putWrites({ configurable: { thread_id: "t" } }, [["a", 1]], "task")).rejects.toThrow(
      /checkpoint_id/,
    );
  });
});
