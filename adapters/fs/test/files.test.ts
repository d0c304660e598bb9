import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { configFromEnv, createStorage, isStowageError, type Storage } from "@stowage/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createFsStorage } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "stowage-fs-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const opened: Storage[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((storage) => storage.close()));
});
let dirs = 0;

function open(options: { maxSizeBytes?: number; fsync?: boolean } = {}): { storage: Storage; dir: string } {
  const dir = join(root, `store-${++dirs}`);
  const storage = createFsStorage({ dir, namespace: "files", sweepEveryMs: 0, ...options });
  opened.push(storage);
  return { storage, dir };
}

/** Every path under `dir`, files and directories, with its mode. */
function walk(dir: string): { path: string; mode: number; isDir: boolean }[] {
  const found: { path: string; mode: number; isDir: boolean }[] = [];
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    if (item.isSymbolicLink()) continue; // lease log entries: their mode is not used (the directory guards them)
    const stat = statSync(path);
    found.push({ path, mode: stat.mode & 0o777, isDir: item.isDirectory() });
    if (item.isDirectory()) found.push(...walk(path));
  }
  return found;
}

describe("fs: keys as file names", () => {
  it("hostile keys stay inside the store, round-trip, and come back from keys()", async () => {
    const { storage, dir } = open();
    const keys = [
      "../../etc/passwd",
      "/absolute/path",
      "..",
      ".",
      "a\0b",
      "Case",
      "case",
      "CASE",
      "%2e%2e%2f",
      "con",
      "a/b\\c",
      "x".repeat(1024),
      "é".repeat(512),
      "😀".repeat(256),
      "x".repeat(199),
      "x".repeat(200),
      "x".repeat(201),
    ];
    for (const [i, key] of keys.entries()) await storage.cache.set(key, i);
    for (const [i, key] of keys.entries()) expect(await storage.cache.get(key)).toBe(i);
    const listed: string[] = [];
    for await (const key of storage.cache.keys()) listed.push(key);
    expect(listed.sort()).toEqual([...keys].sort());
    for (const entry of walk(dir)) {
      expect(relative(dir, entry.path).startsWith("..")).toBe(false);
      for (const part of relative(dir, entry.path).split("/")) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(255);
    }
    // Names are lower-case hex: no two keys differ only in case on disk.
    const names = walk(join(dir, "files", "cache")).map((e) => relative(dir, e.path));
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
  });

  it("namespaces that differ only in case get different directories", async () => {
    const dir = join(root, `store-${++dirs}`);
    const upper = createFsStorage({ dir, namespace: "Team", sweepEveryMs: 0 });
    const lower = createFsStorage({ dir, namespace: "team", sweepEveryMs: 0 });
    opened.push(upper, lower);
    await upper.cache.set("k", "upper");
    await lower.cache.set("k", "lower");
    expect(await upper.cache.get("k")).toBe("upper");
    expect(readdirSync(dir).sort()).toEqual(["_team", "team", "~tmp"]);
  });
});

describe("fs: files on disk", () => {
  it("creates files 0600 and directories 0700", async () => {
    const { storage, dir } = open();
    await storage.cache.set("k", 1);
    await storage.cache.incr("n");
    await storage.checkpoint.put({ threadId: "t", payload: 1, blobs: [{ channel: "c", version: 1, value: 2 }] });
    await storage.checkpoint.putWrites("t", { checkpointId: (await storage.checkpoint.get("t"))!.id }, [
      { taskId: "a", index: 0, channel: "c", value: 1 },
    ]);
    (await storage.lock.acquire("L", { ttl: 1000 })).release();
    const entries = walk(dir);
    expect(entries.length).toBeGreaterThan(10);
    for (const entry of entries) expect(entry.mode, entry.path).toBe(entry.isDir ? 0o700 : 0o600);
  });

  it("deleteThread leaves no file of the thread, and no index entry", async () => {
    const { storage, dir } = open();
    for (let i = 0; i < 5; i++) {
      const { id } = await storage.checkpoint.put({ threadId: "gone", ns: i % 2 ? "sub" : "", payload: i });
      await storage.checkpoint.putWrites("gone", { ns: i % 2 ? "sub" : "", checkpointId: id }, [
        { taskId: "t", index: 0, channel: "c", value: i },
      ]);
    }
    await storage.checkpoint.put({ threadId: "kept", payload: 0 });
    await storage.checkpoint.deleteThread("gone");
    const left = readdirSync(join(dir, "files", "checkpoints"), { recursive: true, withFileTypes: true }).filter(
      (e) => !e.isDirectory(),
    );
    expect(left.map((e) => e.name)).toHaveLength(2); // kept's checkpoint and its index entry (a symlink)
    expect(await storage.checkpoint.driver.countThread("gone")).toBe(0);
  });

  it("list with a limit reads only the checkpoints it returns", async () => {
    const { storage, dir } = open();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await storage.checkpoint.put({ threadId: "long", payload: i })).id);
    // Damage every checkpoint file but the newest three (a whole file whose header is not JSON): a list that opened them would fail.
    const damaged = Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from("{{")]);
    const files = walk(join(dir, "files", "checkpoints", "threads")).filter((e) => e.path.endsWith(".c"));
    const newest = new Set(ids.slice(-3).map((id) => `${Buffer.from(id).toString("hex")}.c`));
    for (const file of files) if (!newest.has(file.path.split("/").at(-1) as string)) writeFileSync(file.path, damaged);
    const page: unknown[] = [];
    for await (const c of storage.checkpoint.list({ threadId: "long", limit: 3 })) page.push(c.payload);
    expect(page).toEqual([19, 18, 17]);
    const across: unknown[] = [];
    for await (const c of storage.checkpoint.list({ limit: 2 })) across.push(c.payload);
    expect(across).toEqual([19, 18]);
    await expect(async () => {
      for await (const _ of storage.checkpoint.list({ threadId: "long", limit: 4 })) {
      }
    }).rejects.toThrow(/damaged header/);
  });

  it("with fsync=true values are written and read the same", async () => {
    const { storage } = open({ fsync: true });
    await storage.cache.set("durable", { a: 1 });
    expect(await storage.cache.get("durable")).toEqual({ a: 1 });
    expect((await storage.cache.health()).details).toMatchObject({ fsync: true });
  });

  it("a size limit evicts the least recently read entries first", async () => {
    const { storage } = open({ maxSizeBytes: 20_000 });
    const value = "v".repeat(1000);
    for (let i = 0; i < 10; i++) await storage.cache.set(`k${i}`, value);
    for (let i = 10; i < 30; i++) {
      await storage.cache.get("k0");
      await storage.cache.set(`k${i}`, value);
    }
    const { bytes } = await storage.cache.stats();
    expect(bytes).toBeLessThanOrEqual(20_000);
    expect(await storage.cache.get("k0")).toBe(value);
    expect(await storage.cache.get("k1")).toBeUndefined();
    expect(await storage.cache.get("k29")).toBe(value);
  });
});

describe("fs: errors", () => {
  it("a filesystem error (here a file where the namespace directory should be) is ERR_BACKEND_UNAVAILABLE", async () => {
    const dir = join(root, `store-${++dirs}`);
    const storage = createFsStorage({ dir, namespace: "blocked", sweepEveryMs: 0 });
    opened.push(storage);
    writeFileSync(join(dir, "blocked"), "not a directory");
    for (const action of [
      () => storage.cache.set("k", 1),
      () => storage.cache.incr("n"),
      () => storage.lock.acquire("L", { ttl: 1000, waitMs: 0 }),
      () => storage.checkpoint.put({ threadId: "t", payload: 1 }),
    ]) {
      const error = await action().catch((e: unknown) => e);
      expect(isStowageError(error, "ERR_BACKEND_UNAVAILABLE"), String(error)).toBe(true);
    }
  });
});

describe("fs: configuration", () => {
  it("opens file:///abs/dir URLs with fsync and sweepEveryMs, and names an unknown parameter", async () => {
    const dir = join(root, `url-${++dirs}`);
    const storage = await createStorage(`${pathToFileURL(dir).href}?fsync=false&sweepEveryMs=60000&namespace=u`);
    opened.push(storage);
    await storage.cache.set("k", 1);
    expect(readdirSync(join(dir, "u", "cache")).length).toBe(1);
    const error = await createStorage(`${pathToFileURL(dir).href}?fsnyc=true`).catch((e: unknown) => e);
    expect(isStowageError(error, "ERR_CONFIG") && /fsnyc/.test(String(error))).toBe(true);
    const badFsync = await createStorage(`${pathToFileURL(dir).href}?fsync=maybe`).catch((e: unknown) => e);
    expect(isStowageError(badFsync, "ERR_CONFIG")).toBe(true);
  });

  it("the seed's CACHE_DIR and LOCK_DIR select directories for the file backend", async () => {
    const cacheDir = join(root, `seed-cache-${++dirs}`);
    const lockDir = join(root, `seed-lock-${dirs}`);
    const config = configFromEnv({ STOWAGE_LOCAL_BACKEND: "file", CACHE_DIR: cacheDir, LOCK_DIR: lockDir });
    const storage = await createStorage(config);
    opened.push(storage);
    await storage.cache.set("k", 1);
    (await storage.lock.acquire("L", { ttl: 1000 })).release();
    expect(readdirSync(join(cacheDir, "default"))).toEqual(["cache"]);
    expect(readdirSync(join(lockDir, "default"))).toEqual(["locks"]);
  });
});
