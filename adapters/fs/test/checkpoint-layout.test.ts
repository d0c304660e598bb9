import { existsSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import type { Storage } from "@stowage/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createFsStorage } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "stowage-fs-layout-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const opened: Storage[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((storage) => storage.close()));
});
let dirs = 0;

function open(dir = join(root, `store-${++dirs}`)): { storage: Storage; dir: string } {
  const storage = createFsStorage({ dir, namespace: "layout", sweepEveryMs: 0 });
  opened.push(storage);
  return { storage, dir };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Ids whose first 8 bytes change every 50 checkpoints: archive buckets of 50 (plus sub-buckets by the next 3 bytes). */
const idOf = (i: number) => `${String(Math.floor(i / 50)).padStart(8, "0")}${String(i).padStart(6, "0")}`;
const hex = (text: string) => Buffer.from(text).toString("hex");

/** The ns directory of `thread` (default ns) under a store. */
function threadDir(dir: string, thread: string): string {
  const threads = join(dir, "layout", "checkpoints", "threads");
  for (const shard of readdirSync(threads)) {
    const path = join(threads, shard, `${hex(thread)}.t`);
    if (existsSync(path)) return path;
  }
  throw new Error(`no directory for thread ${thread}`);
}

function filesUnder(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name));
}

const DAMAGED = Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from("{{")]);

describe("fs: checkpoint layout (newest in ~c, older in id-prefix buckets under ~a)", () => {
  it("get latest and list(limit) read only the newest checkpoints and the newest bucket, however long the thread", async () => {
    const { storage, dir } = open();
    const total = 300;
    for (let i = 0; i < total; i++) await storage.checkpoint.put({ threadId: "long", id: idOf(i), payload: i });
    const ns = threadDir(dir, "long");
    const recent = filesUnder(join(ns, "~c"), ".c");
    const archived = filesUnder(join(ns, "~a"), ".c");
    // Writers keep ~c short (they compact it to 32 every 64 puts); everything else went to the archive.
    expect(recent.length).toBeLessThanOrEqual(96);
    expect(recent.length + archived.length).toBe(total);
    expect(readdirSync(ns).filter((name) => name.endsWith(".c"))).toHaveLength(0); // nothing in the old place
    const newestRecent = total - recent.length; // ids at or above this index are in ~c
    const newestBucket = hex(String(Math.floor((newestRecent - 1) / 50)).padStart(8, "0"));
    // Damage every archived checkpoint outside the newest bucket, and swap each older bucket
    // directory for a damaged leaf: a walk that read or listed below the newest bucket would fail.
    let damagedBuckets = 0;
    for (const path of archived) {
      const bucket = relative(join(ns, "~a"), path).split("/")[0] as string;
      if (bucket !== newestBucket) writeFileSync(path, DAMAGED);
    }
    for (const bucket of readdirSync(join(ns, "~a"))) {
      if (bucket === newestBucket) continue;
      rmSync(join(ns, "~a", bucket), { recursive: true });
      writeFileSync(join(ns, "~a", `${bucket}.c`), DAMAGED);
      damagedBuckets++;
    }
    expect(damagedBuckets).toBeGreaterThan(2);

    expect((await storage.checkpoint.get("long"))?.payload).toBe(total - 1);
    const ten = await collect(storage.checkpoint.list({ threadId: "long", limit: 10 }));
    expect(ten.map((c) => c.payload)).toEqual(Array.from({ length: 10 }, (_, k) => total - 1 - k));
    // Reaching into the archive: the newest bucket holds what is asked for, and nothing older is touched.
    const inBucket = (newestRecent - 1) % 50;
    const deep = await collect(storage.checkpoint.list({ threadId: "long", limit: recent.length + inBucket }));
    expect(deep.map((c) => c.payload)).toEqual(
      Array.from({ length: recent.length + inBucket }, (_, k) => total - 1 - k),
    );
    // One more would read the damaged older bucket: proof the walk is ordered and lazy, not a read of everything.
    await expect(
      collect(storage.checkpoint.list({ threadId: "long", limit: recent.length + inBucket + 2 })),
    ).rejects.toThrow(/damaged header/);
  });

  it("a checkpoint moved to the archive is still found by id, listed once, and removed by prune and deleteThread", async () => {
    const { storage, dir } = open();
    for (let i = 0; i < 150; i++) await storage.checkpoint.put({ threadId: "t", id: idOf(i), payload: i });
    const ns = threadDir(dir, "t");
    expect(filesUnder(join(ns, "~a"), ".c").length).toBeGreaterThan(0);
    expect((await storage.checkpoint.get("t", { id: idOf(3) }))?.payload).toBe(3);
    // A checkpoint put again after it was archived: the new copy wins, and it is listed once.
    await storage.checkpoint.put({ threadId: "t", id: idOf(3), payload: "again" });
    expect((await storage.checkpoint.get("t", { id: idOf(3) }))?.payload).toBe("again");
    const all = await collect(storage.checkpoint.list({ threadId: "t" }));
    expect(all).toHaveLength(150);
    expect(all.map((c) => c.id)).toEqual(Array.from({ length: 150 }, (_, k) => idOf(149 - k)));
    expect(await storage.checkpoint.prune("t", { keepLast: 5 })).toBe(145);
    expect((await collect(storage.checkpoint.list({ threadId: "t" }))).map((c) => c.payload)).toEqual([
      149, 148, 147, 146, 145,
    ]);
    expect(filesUnder(ns, ".c")).toHaveLength(5);
    await storage.checkpoint.deleteThread("t");
    expect(existsSync(ns)).toBe(false);
    expect(filesUnder(join(dir, "layout", "checkpoints"), "")).toHaveLength(0);
  });

  it("a store in the previous layout (every <id>.c in the ns directory) is read as it is, then migrated", async () => {
    const { storage, dir } = open();
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await storage.checkpoint.put({ threadId: "old", payload: i })).id);
    await storage.checkpoint.put({ threadId: "small", payload: "s0" });
    await storage.checkpoint.put({ threadId: "small", ns: "sub", payload: "s1" });
    await storage.close();
    // Rewrite both threads into the previous layout: checkpoint files straight in the ns
    // directory, no ~c or ~a; index entries as plain files holding the owner JSON.
    for (const thread of ["old", "small"]) {
      const ns = threadDir(dir, thread);
      for (const nsDir of [
        ns,
        ...readdirSync(ns)
          .filter((n) => n.endsWith(".n"))
          .map((n) => join(ns, n)),
      ]) {
        for (const file of [...filesUnder(join(nsDir, "~c"), ".c"), ...filesUnder(join(nsDir, "~a"), ".c")]) {
          const leafHex = relative(nsDir, file).split("/").slice(1).join("").replace(/\.c$/, "");
          renameSync(file, join(nsDir, `${leafHex}.c`));
        }
        rmSync(join(nsDir, "~c"), { recursive: true, force: true });
        rmSync(join(nsDir, "~a"), { recursive: true, force: true });
      }
    }
    const index = join(dir, "layout", "checkpoints", "index");
    for (const entry of readdirSync(index, { recursive: true, withFileTypes: true })) {
      if (!entry.isSymbolicLink()) continue;
      const path = join(entry.parentPath, entry.name);
      const owner = readlinkSync(path);
      rmSync(path);
      writeFileSync(path, owner, { mode: 0o600 });
    }
    expect(filesUnder(threadDir(dir, "old"), ".c").filter((p) => dirname(p) === threadDir(dir, "old"))).toHaveLength(
      100,
    );

    const reopened = open(dir).storage;
    // Read as it is (small: fewer files than a migration needs).
    expect((await reopened.checkpoint.get("small"))?.payload).toBe("s0");
    expect((await reopened.checkpoint.get("small", { ns: "sub" }))?.payload).toBe("s1");
    expect(existsSync(join(threadDir(dir, "small"), "~c"))).toBe(false);
    // Across threads through old index entries.
    expect((await collect(reopened.checkpoint.list({ limit: 3 }))).map((c) => c.payload)).toEqual(["s1", "s0", 99]);
    // A long old thread is migrated by the first read, and reads the same.
    expect((await reopened.checkpoint.get("old"))?.payload).toBe(99);
    const oldNs = threadDir(dir, "old");
    expect(existsSync(join(oldNs, "~c"))).toBe(true);
    expect(filesUnder(oldNs, ".c").filter((p) => dirname(p) === oldNs)).toHaveLength(0);
    expect((await collect(reopened.checkpoint.list({ threadId: "old" }))).map((c) => c.id)).toEqual([...ids].reverse());
    expect((await reopened.checkpoint.get("old", { id: ids[0] as string }))?.payload).toBe(0);
    // A put into a short old thread migrates it first; nothing is lost.
    await reopened.checkpoint.put({ threadId: "small", payload: "s2" });
    expect(existsSync(join(threadDir(dir, "small"), "~c"))).toBe(true);
    expect((await collect(reopened.checkpoint.list({ threadId: "small", ns: "" }))).map((c) => c.payload)).toEqual([
      "s2",
      "s0",
    ]);
    expect(await reopened.checkpoint.driver.countThread("old")).toBe(200); // 100 checkpoints + 100 index entries
    await reopened.checkpoint.deleteThread("old");
    await reopened.checkpoint.deleteThread("small");
    expect(filesUnder(join(dir, "layout", "checkpoints"), "")).toHaveLength(0);
  });
});
