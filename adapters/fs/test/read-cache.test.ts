import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage, isStowageError, type Storage } from "@stowage/core";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createFsStorage } from "../src/index.js";
import {
  type Check,
  ReadCache,
  readCacheWorksOn,
  type Seen,
  seenOf,
  settledBefore,
  statIfExists,
} from "../src/read-cache.js";
import { type Child, startFixture } from "./child-process.js";

const root = mkdtempSync(join(tmpdir(), "stowage-fs-read-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const opened: Storage[] = [];
const children: Child[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.process.kill("SIGKILL");
  await Promise.allSettled(opened.splice(0).map((storage) => storage.close()));
});
let stores = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Longer than the racy margin (50 ms): what was written before it can be cached by a read after it. */
const SETTLE_MS = 80;

const works = readCacheWorksOn(root);
if (!works)
  console.log(`[read-cache] the cache-is-used tests are skipped: ${root} is not on ext4/xfs/btrfs/tmpfs on Linux`);

function open(options: { readCacheBytes?: number; maxSizeBytes?: number } = {}): { storage: Storage; dir: string } {
  const dir = join(root, `store-${++stores}`);
  const storage = createFsStorage({ dir, namespace: "rc", sweepEveryMs: 0, ...options });
  opened.push(storage);
  return { storage, dir };
}

async function hits(storage: Storage): Promise<number> {
  return (await storage.cache.health()).details?.readCacheHits as number;
}

/** Changes the last byte of a file in place (same inode, same size): damage no rename made. */
/** The directory name of a thread (hex of its id, path-codec.ts). */
const threadDirOf = (threadId: string) => `${Buffer.from(threadId).toString("hex")}.t`;

function flipLastByte(path: string): void {
  const fd = openSync(path, "r+");
  try {
    const at = (statIfExists(path)?.size ?? 1) - 1;
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, at);
    writeSync(fd, Buffer.from([(byte[0] as number) ^ 0xff]), 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

describe.runIf(works)("ReadCache", () => {
  it("serves a settled value until its file is replaced, written in place or removed", async () => {
    const path = join(root, "unit-file");
    writeFileSync(path, "one");
    await sleep(SETTLE_MS);
    const cache = new ReadCache<string>(1024);
    const readAt = Date.now();
    const check: Check = [path, seenOf(statIfExists(path) as NonNullable<ReturnType<typeof statIfExists>>)];
    cache.set("k", "one", 3, [check], readAt);
    expect(cache.get("k")).toBe("one");
    // Replaced by rename (a new inode), as every store write does.
    writeFileSync(`${path}.new`, "two");
    renameSync(`${path}.new`, path);
    expect(cache.get("k")).toBeUndefined();
    // Once dropped it stays dropped.
    expect(cache.get("k")).toBeUndefined();

    await sleep(SETTLE_MS);
    cache.set("k", "two", 3, [[path, seenOf(statIfExists(path) as never)]], Date.now());
    expect(cache.get("k")).toBe("two");
    const fd = openSync(path, "r+");
    writeSync(fd, "X", 0);
    closeSync(fd);
    expect(cache.get("k")).toBeUndefined();

    await sleep(SETTLE_MS);
    cache.set("k", "x", 1, [[path, seenOf(statIfExists(path) as never)]], Date.now());
    rmSync(path);
    expect(cache.get("k")).toBeUndefined();
  });

  it("keeps nothing read from a file changed within the racy margin, or stamped in whole seconds", () => {
    const path = join(root, "unit-fresh");
    writeFileSync(path, "fresh");
    const cache = new ReadCache<string>(1024);
    cache.set("k", "fresh", 5, [[path, seenOf(statIfExists(path) as never)]], Date.now());
    expect(cache.get("k")).toBeUndefined();
    const coarse: Seen = { ino: 1, size: 1, mtimeMs: 1_700_000_000_000, ctimeMs: 1_700_000_000_000 };
    expect(settledBefore(coarse, Date.now())).toBe(false);
    expect(
      settledBefore({ ...coarse, mtimeMs: coarse.mtimeMs + 0.25, ctimeMs: coarse.ctimeMs + 0.25 }, Date.now()),
    ).toBe(true);
    // Nothing there is a check too: the path must still be empty.
    expect(settledBefore(undefined, Date.now())).toBe(true);
  });

  it("a path that was empty must stay empty", async () => {
    const path = join(root, "unit-absent");
    const cache = new ReadCache<string>(1024);
    cache.set("k", "none", 4, [[path, undefined]], Date.now());
    expect(cache.get("k")).toBe("none");
    writeFileSync(path, "now");
    expect(cache.get("k")).toBeUndefined();
  });

  it("stays within its byte budget, oldest first, and caches nothing with a budget of 0", () => {
    const cache = new ReadCache<number>(10);
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, i, 4, [], Date.now());
    expect([0, 1, 2, 3, 4].map((i) => cache.get(`k${i}`))).toEqual([undefined, undefined, undefined, 3, 4]);
    const off = new ReadCache<number>(0);
    off.set("k", 1, 1, [], Date.now());
    expect(off.enabled).toBe(false);
    expect(off.get("k")).toBeUndefined();
  });
});

describe.runIf(works)("the read cache in the file backend", () => {
  it("a cache get and a checkpoint load are served from memory once settled, and readCacheBytes=0 turns that off", async () => {
    for (const [readCacheBytes, expectHits] of [
      [undefined, true],
      [0, false],
    ] as const) {
      const { storage } = open(readCacheBytes === undefined ? {} : { readCacheBytes });
      await storage.cache.set("k", { v: 1 });
      await storage.checkpoint.put({ threadId: "t", id: "0001", payload: { p: 1 }, metadata: { m: 1 } });
      await sleep(SETTLE_MS);
      const before = await hits(storage);
      for (let i = 0; i < 3; i++) {
        expect(await storage.cache.get("k")).toEqual({ v: 1 });
        expect((await storage.checkpoint.get("t"))?.payload).toEqual({ p: 1 });
        expect((await storage.checkpoint.get("t", { id: "0001" }))?.metadata).toEqual({ m: 1 });
      }
      expect((await hits(storage)) - before).toBe(expectHits ? 6 : 0);
    }
  });

  it("is off for the cache under a size limit (every read stamps the LRU), on for its checkpoints", async () => {
    const { storage } = open({ maxSizeBytes: 1 << 20 });
    await storage.cache.set("k", "v");
    await storage.checkpoint.put({ threadId: "t", payload: 1 });
    await sleep(SETTLE_MS);
    for (let i = 0; i < 3; i++) await storage.cache.get("k");
    expect(await hits(storage)).toBe(0);
    for (let i = 0; i < 3; i++) await storage.checkpoint.get("t");
    expect(await hits(storage)).toBe(2);
  });

  it("what a caller does to a value it got never changes the next one", async () => {
    const { storage } = open();
    await storage.cache.set("k", { list: [1] });
    await storage.checkpoint.put({ threadId: "t", payload: { list: [1] }, metadata: { tags: ["a"] } });
    await sleep(SETTLE_MS);
    for (let i = 0; i < 3; i++) {
      const value = (await storage.cache.get("k")) as { list: number[] };
      expect(value).toEqual({ list: [1] });
      value.list.push(2);
      const loaded = await storage.checkpoint.get("t");
      if (loaded === undefined) throw new Error("the checkpoint is gone");
      expect(loaded.payload).toEqual({ list: [1] });
      expect(loaded.metadata).toEqual({ tags: ["a"] });
      (loaded.payload as { list: number[] }).list.push(2);
      (loaded.metadata as { tags: string[] }).tags.push("b");
    }
    expect(await hits(storage)).toBeGreaterThan(0);
  });

  it("a file damaged in place after it was cached reads as ERR_CORRUPT_DATA, not as the cached value", async () => {
    const { storage, dir } = open();
    await storage.cache.set("k", "a value long enough to damage");
    const corrupt = (promise: Promise<unknown>) =>
      promise.then(
        () => "read",
        (error) => (isStowageError(error, "ERR_CORRUPT_DATA") ? "corrupt" : String(error)),
      );
    const files = (suffix: string) =>
      readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((name) => name.endsWith(suffix))
        .map((name) => join(dir, name));
    for (const suffix of [".b", ".x", ".c"]) {
      const threadId = `t${suffix}`;
      await storage.checkpoint.put({
        threadId,
        id: "0001",
        payload: { p: 1 },
        channels: { c: 1 },
        blobs: [{ channel: "c", version: 1, value: "blob" }],
      });
      await storage.checkpoint.putWrites(threadId, { checkpointId: "0001" }, [
        { taskId: "w", index: 0, channel: "c", value: 1 },
      ]);
    }
    await sleep(SETTLE_MS);
    for (const suffix of [".b", ".x", ".c"]) {
      const threadId = `t${suffix}`;
      // Settled and cached: two loads, the second from memory.
      await storage.checkpoint.get(threadId);
      const before = await hits(storage);
      await storage.checkpoint.get(threadId);
      expect(await hits(storage)).toBe(before + 1);
      const [file] = files(suffix).filter((path) => path.includes(threadDirOf(threadId)));
      flipLastByte(file as string);
      expect(await corrupt(storage.checkpoint.get(threadId)), suffix).toBe("corrupt");
    }
    await storage.cache.get("k");
    await storage.cache.get("k");
    const [entry] = files(".v");
    flipLastByte(entry as string);
    expect(await corrupt(storage.cache.get("k"))).toBe("corrupt");
  });

  it("readCacheBytes in the URL: bytes, 0 or off; anything else is ERR_CONFIG", async () => {
    for (const [value, bytes] of [
      ["1024", 1024],
      ["0", 0],
      ["off", 0],
    ] as const) {
      const storage = await createStorage(`file://${join(root, `url-${value}`)}?readCacheBytes=${value}`);
      opened.push(storage);
      expect((await storage.cache.health()).details?.readCacheBytes).toBe(bytes);
    }
    for (const bad of ["-1", "1.5", "lots"]) {
      await expect(createStorage(`file://${join(root, "url-bad")}?readCacheBytes=${bad}`)).rejects.toMatchObject({
        code: "ERR_CONFIG",
      });
    }
  });

  /**
   * Another process writes (set, delete, put, putWrites, prune, deleteThread) between this
   * process's reads, some at once and some after the racy margin, so reads hit a cached value, a
   * just-replaced one, or one replaced within a clock tick of its caching; every read must give
   * what a model of the last acknowledged writes says.
   */
  it("never serves what another process overwrote or removed: random histories against a model", async () => {
    const dir = join(root, `store-${++stores}`);
    const url = `file://${dir}`;
    const writer = startFixture("store-commander.mjs", [url]);
    children.push(writer);
    const reader = await createStorage({ url, namespace: "rc" });
    opened.push(reader);
    await writer.next((m) => m.ready === true);
    let seq = 0;
    const remote = async (command: Record<string, unknown>) => {
      const mine = ++seq;
      writer.send(JSON.stringify({ ...command, seq: mine }));
      const reply = await writer.next((m) => m.done === mine || m.failed === mine);
      if (reply.failed !== undefined) throw new Error(String(reply.error));
    };
    const keys = ["a", "b"];
    const threads = ["t1", "t2"];
    const command = fc.oneof(
      fc.record({ op: fc.constant("set"), key: fc.constantFrom(...keys), value: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ op: fc.constant("delete"), key: fc.constantFrom(...keys) }),
      fc.record({ op: fc.constant("put"), thread: fc.constantFrom(...threads) }),
      fc.record({ op: fc.constant("putWrites"), thread: fc.constantFrom(...threads), task: fc.constantFrom("x", "y") }),
      fc.record({
        op: fc.constant("prune"),
        thread: fc.constantFrom(...threads),
        keepLast: fc.integer({ min: 0, max: 2 }),
      }),
      fc.record({ op: fc.constant("deleteThread"), thread: fc.constantFrom(...threads) }),
      fc.record({ op: fc.constant("read"), pause: fc.constantFrom(0, 0, 2, SETTLE_MS) }),
    );
    let run = 0;
    let cachedReads = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 25 }), async (commands) => {
        const tag = `r${++run}`;
        const values = new Map<string, number>();
        /** Per thread: checkpoint ids (ascending) with their step, and each checkpoint's write tasks. */
        const checkpoints = new Map<string, { id: string; step: number; tasks: string[] }[]>();
        let ids = 0;
        const check = async () => {
          for (const key of keys) {
            expect(await reader.cache.get(`${tag}:${key}`), `cache ${key}`).toBe(values.get(key));
          }
          for (const thread of threads) {
            const history = checkpoints.get(thread) ?? [];
            const latest = history.at(-1);
            const loaded = await reader.checkpoint.get(`${tag}:${thread}`);
            expect(loaded?.id, `latest of ${thread}`).toBe(latest?.id);
            expect(loaded?.payload).toEqual(latest ? { step: latest.step } : undefined);
            expect(loaded?.pendingWrites.map((w) => w.taskId)).toEqual(latest?.tasks);
            for (const { id, step, tasks } of history) {
              const byId = await reader.checkpoint.get(`${tag}:${thread}`, { id });
              expect(byId?.payload, `${thread} ${id}`).toEqual({ step });
              expect(byId?.pendingWrites.map((w) => w.taskId)).toEqual(tasks);
            }
          }
        };
        const t0 = Date.now();
        for (const c of commands) {
          if (c.op === "set") {
            await remote({ op: "set", key: `${tag}:${c.key}`, value: c.value });
            values.set(c.key, c.value);
          } else if (c.op === "delete") {
            await remote({ op: "delete", key: `${tag}:${c.key}` });
            values.delete(c.key);
          } else if (c.op === "put") {
            const id = `${tag}-${String(++ids).padStart(4, "0")}`;
            await remote({ op: "put", threadId: `${tag}:${c.thread}`, id, step: ids });
            const history = checkpoints.get(c.thread) ?? [];
            history.push({ id, step: ids, tasks: [] });
            checkpoints.set(c.thread, history);
          } else if (c.op === "putWrites") {
            const latest = checkpoints.get(c.thread)?.at(-1);
            if (!latest) continue;
            await remote({ op: "putWrites", threadId: `${tag}:${c.thread}`, id: latest.id, taskId: c.task });
            if (!latest.tasks.includes(c.task)) latest.tasks.push(c.task);
          } else if (c.op === "prune") {
            await remote({ op: "prune", threadId: `${tag}:${c.thread}`, keepLast: c.keepLast });
            const history = checkpoints.get(c.thread) ?? [];
            checkpoints.set(c.thread, c.keepLast === 0 ? [] : history.slice(-c.keepLast));
          } else if (c.op === "deleteThread") {
            await remote({ op: "deleteThread", threadId: `${tag}:${c.thread}` });
            checkpoints.delete(c.thread);
          } else {
            if (c.pause > 0) await sleep(c.pause);
            const before = await hits(reader);
            await check();
            await check();
            cachedReads += (await hits(reader)) - before;
          }
        }
        await check();
        if (process.env.RC_DEBUG) console.log(`run ${run}: ${commands.length} commands in ${Date.now() - t0} ms`);
      }),
      { numRuns: Number(process.env.RC_RUNS ?? 60) },
    );
    // The property means something only if reads were served from memory along the way.
    expect(cachedReads).toBeGreaterThan(0);
  }, 120_000);
});
