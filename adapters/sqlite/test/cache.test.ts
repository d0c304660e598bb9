import { spawn } from "node:child_process";
import { join } from "node:path";
import { createStorage } from "@stowage/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { fixture, useTempDir } from "./helpers.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function run(script: string, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fixture(script), ...args], { stdio: ["ignore", "ignore", "inherit"] });
    child.once("exit", resolve);
  });
}

/** The trigger-kept totals of a namespace beside the ones computed from the rows themselves. */
function accounting(path: string, namespace: string) {
  const db = new Database(path, { readonly: true });
  const kept = db
    .prepare(
      "SELECT entries, value_bytes AS valueBytes, key_bytes AS keyBytes FROM cache_namespaces WHERE namespace = ?",
    )
    .get(namespace);
  const counted = db
    .prepare(
      `SELECT count(*) AS entries, coalesce(sum(length(value)), 0) AS valueBytes,
              coalesce(sum(length(CAST(key AS BLOB))), 0) AS keyBytes
       FROM cache_entries WHERE namespace = ?`,
    )
    .get(namespace);
  db.close();
  return { kept, counted };
}

function rowCount(path: string, table: string): number {
  const db = new Database(path, { readonly: true });
  const { n } = db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
  db.close();
  return n;
}

describe("sqlite cache", () => {
  const tmp = useTempDir();

  it("size accounting stays exact, and within the limit, while 4 processes write one namespace", async () => {
    const limit = 40_000;
    const url = `${tmp.url()}?namespace=shared&maxSize=${limit}`;
    const exits = await Promise.all([1, 2, 3, 4].map((seed) => run("cache-churn.mjs", [url, "400", String(seed)])));
    expect(exits).toEqual([0, 0, 0, 0]);
    const { kept, counted } = accounting(join(tmp.path, "stowage.db"), "shared");
    expect(kept).toEqual(counted);
    const { valueBytes, keyBytes } = counted as { valueBytes: number; keyBytes: number };
    expect(valueBytes + keyBytes).toBeLessThanOrEqual(limit);
    expect(valueBytes).toBeGreaterThan(0);
  }, 60_000);

  it("a file used without a limit gets exact totals when a limited store opens it, kept by unlimited writers after", async () => {
    const url = `${tmp.url()}?namespace=open`;
    const path = join(tmp.path, "stowage.db");
    expect(await Promise.all([7, 8].map((seed) => run("cache-churn.mjs", [url, "300", String(seed)])))).toEqual([0, 0]);
    // No limit yet: writers pay for no totals and no recency index.
    expect(accounting(path, "open").kept).toBeUndefined();
    const limited = await createStorage(`${url}&maxSize=20000`);
    await limited.cache.set("one-more", "z");
    expect((await limited.cache.stats()).bytes).toBeLessThanOrEqual(20_000);
    const seeded = accounting(path, "open");
    expect(seeded.kept).toEqual(seeded.counted);
    // Processes without a limit now keep the totals too, because the triggers live in the file.
    expect(await Promise.all([9, 10].map((seed) => run("cache-churn.mjs", [url, "300", String(seed)])))).toEqual([
      0, 0,
    ]);
    const after = accounting(path, "open");
    expect(after.kept).toEqual(after.counted);
    await limited.close();
  }, 60_000);

  it("reads in another process count for eviction once flushed: a hot entry read elsewhere survives", async () => {
    const value = "v".repeat(500);
    const limited = await createStorage(`${tmp.url()}?namespace=lru&maxSize=8000`);
    const reader = await createStorage(`${tmp.url()}?namespace=lru`);
    await limited.cache.set("hot", value);
    for (let i = 0; i < 10; i++) await limited.cache.set(`cold:${i}`, value);
    expect(await reader.cache.get("hot")).toBe(value);
    await reader.close(); // a reader's recency reaches the file within a second, and at close
    for (let i = 10; i < 20; i++) await limited.cache.set(`cold:${i}`, value);
    expect(await limited.cache.getMany(["hot", "cold:0", "cold:19"])).toEqual([value, undefined, value]);
    await limited.close();
  });

  it("gc removes expired rows from the file and reports how many; they were never returned before", async () => {
    const storage = await createStorage(`${tmp.url()}?namespace=gc`);
    const other = await createStorage(`${tmp.url()}?namespace=other`);
    for (let i = 0; i < 30; i++) await storage.cache.set(`short:${i}`, i, { ttl: 40 });
    await storage.cache.set("long", 1, { ttl: 60_000 });
    await storage.cache.set("forever", 2);
    await other.cache.set("short", 3, { ttl: 40 });
    await sleep(120);
    expect(await storage.cache.get("short:0")).toBeUndefined();
    expect(await storage.cache.getMany(["short:1", "long"])).toEqual([undefined, 1]);
    expect(rowCount(join(tmp.path, "stowage.db"), "cache_entries")).toBe(33);
    expect(await storage.cache.gc()).toBe(30);
    expect(rowCount(join(tmp.path, "stowage.db"), "cache_entries")).toBe(3);
    expect((await storage.cache.stats()).entries).toBe(2);
    expect(await other.cache.gc()).toBe(1);
    await Promise.all([storage.close(), other.close()]);
  });

  it("the sweeper timer (sweepEveryMs) removes expired rows of every namespace without a gc call", async () => {
    const writer = await createStorage(`${tmp.url()}?namespace=swept`);
    for (let i = 0; i < 10; i++) await writer.cache.set(`k${i}`, i, { ttl: 30 });
    await writer.checkpoint.put({ threadId: "t", payload: 1 }, { ttl: 30 });
    await writer.close();
    const swept = await createStorage(`${tmp.url()}?sweepEveryMs=50`);
    const path = join(tmp.path, "stowage.db");
    const deadline = Date.now() + 5_000;
    while (rowCount(path, "cache_entries") + rowCount(path, "checkpoints") > 0 && Date.now() < deadline)
      await sleep(50);
    expect(rowCount(path, "cache_entries")).toBe(0);
    expect(rowCount(path, "checkpoints")).toBe(0);
    await swept.close();
  });

  it("keys pages through more than one batch and stops at the end of the prefix range", async () => {
    const storage = await createStorage(tmp.url());
    const wanted: string[] = [];
    for (let i = 0; i < 600; i++) wanted.push(`pré🙂:${String(i).padStart(4, "0")}`);
    await storage.cache.setMany(wanted.map((key) => ({ key, value: 1 })));
    await storage.cache.setMany(["pré", "pré🙂", "pré🙃", "prf", "pré🙂:\u{10ffff}"].map((key) => ({ key, value: 0 })));
    const seen: string[] = [];
    for await (const key of storage.cache.keys("pré🙂:")) seen.push(key);
    expect(seen.sort()).toEqual([...wanted, "pré🙂:\u{10ffff}"].sort());
    await storage.close();
  });
});
