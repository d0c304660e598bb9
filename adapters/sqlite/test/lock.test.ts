import { statSync } from "node:fs";
import { join } from "node:path";
import { createStorage } from "@stowage/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SqliteBackend } from "../src/backend.js";
import { migrate, SCHEMA_VERSION } from "../src/schema.js";
import { useTempDir } from "./helpers.js";

function query<T>(path: string, sql: string, ...params: unknown[]): T {
  const db = new Database(path);
  db.defaultSafeIntegers(true);
  const row = db.prepare(sql).get(...params) as T;
  db.close();
  return row;
}

describe("sqlite locks", () => {
  const tmp = useTempDir();

  it("the fencing counter outlives the lease and a reopen of the file", async () => {
    const path = join(tmp.path, "stowage.db");
    let storage = await createStorage(tmp.url());
    const first = await storage.lock.acquire("job", { ttl: 5_000 });
    expect(await first.release()).toBe(true);
    // The released name keeps its row, with the counter and no lease.
    expect(query(path, "SELECT token AS t, expires_at AS e FROM lock_names WHERE name = 'job'")).toEqual({
      t: first.token,
      e: 0n,
    });
    expect(await storage.lock.inspect("job")).toBeUndefined();
    await storage.close();
    storage = await createStorage(tmp.url());
    const second = await storage.lock.acquire("job", { ttl: 5_000 });
    expect(second.token).toBeGreaterThan(first.token);
    await second.release();
    await storage.close();
  });

  it("a process that won from its queue place and asks again at once goes behind the others (its old place is not kept, nor its new one lost)", async () => {
    const path = join(tmp.path, "stowage.db");
    // Two opens of the file: two waiters in its queue, as two processes would be.
    const a = await createStorage(tmp.url());
    const b = await createStorage(tmp.url());
    const places = () => {
      const db = new Database(path, { readonly: true });
      const rows = db.prepare("SELECT waiter FROM lock_waiters WHERE name = 'n' ORDER BY since, waiter").pluck().all();
      db.close();
      return rows as string[];
    };
    const until = async (test: () => boolean) => {
      for (let i = 0; i < 500 && !test(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(test()).toBe(true);
    };
    const a1 = await a.lock.acquire("n", { ttl: 30_000 });
    const a2 = a.lock.acquire("n", { ttl: 30_000 });
    await until(() => places().length === 1);
    const [aPlace] = places();
    const b1 = b.lock.acquire("n", { ttl: 30_000 });
    await until(() => places().length === 2);
    const bPlace = places().find((waiter) => waiter !== aPlace);
    const granted: string[] = [];
    await a1.release();
    const lease2 = await a2;
    // a's next caller asks while a holds, in the same turn as its win.
    const a3 = a.lock.acquire("n", { ttl: 30_000 }).then((lease) => {
      granted.push("a3");
      return lease;
    });
    const b1Granted = b1.then((lease) => {
      granted.push("b1");
      return lease;
    });
    await until(() => places().length === 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(places()).toEqual([bPlace, aPlace]);
    await lease2.release();
    await (await b1Granted).release();
    await (await a3).release();
    expect(granted).toEqual(["b1", "a3"]);
    await a.close();
    await b.close();
  });

  it("cycling one lock keeps the WAL bounded: no lock statement leaves a read open that stops the WAL restarting", async () => {
    const path = join(tmp.path, "stowage.db");
    const storage = await createStorage(tmp.url());
    let largest = 0;
    for (let i = 0; i < 20_000; i++) {
      const lease = await storage.lock.acquire("cycled", { ttl: 30_000, waitMs: 1_000 });
      await lease.release();
      if (i % 1000 === 999) largest = Math.max(largest, statSync(`${path}-wal`).size);
    }
    await storage.close();
    // Autocheckpoint restarts the WAL every ~1000 pages (4 MiB); the leak grew it ~8 KiB a cycle (160 MB here).
    expect(largest).toBeLessThan(32 * 1024 * 1024);
  });

  it("tokens stay exact past 2^53", async () => {
    const path = join(tmp.path, "stowage.db");
    const storage = await createStorage(`${tmp.url()}?namespace=big`);
    await (await storage.lock.acquire("n")).release();
    const db = new Database(path);
    db.prepare("UPDATE lock_names SET token = ? WHERE namespace = 'big'").run(2n ** 62n);
    db.close();
    const lease = await storage.lock.acquire("n");
    expect(lease.token).toBe(2n ** 62n + 1n);
    expect((await storage.lock.inspect("n"))?.token).toBe(2n ** 62n + 1n);
    await lease.release();
    await storage.close();
  });

  it("a one-shot tryAcquire never queues, and an abandoned wait leaves the queue", async () => {
    const path = join(tmp.path, "stowage.db");
    const holder = await createStorage(tmp.url());
    const other = await createStorage(tmp.url());
    const lease = await holder.lock.acquire("busy", { ttl: 10_000 });
    expect(await other.lock.tryAcquire("busy")).toBeUndefined();
    expect(query(path, "SELECT count(*) AS n FROM lock_waiters")).toEqual({ n: 0n });
    const controller = new AbortController();
    const waiting = other.lock.acquire("busy", { waitMs: 5_000, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(query(path, "SELECT count(*) AS n FROM lock_waiters")).toEqual({ n: 1n });
    controller.abort(new Error("gave up"));
    await expect(waiting).rejects.toThrow("gave up");
    expect(query(path, "SELECT count(*) AS n FROM lock_waiters")).toEqual({ n: 0n });
    await lease.release();
    // With the queue empty the name is free for anyone at once.
    const next = await other.lock.tryAcquire("busy");
    expect(next?.token).toBeGreaterThan(lease.token);
    await next?.release();
    await Promise.all([holder.close(), other.close()]);
  });

  it("a free name goes to the oldest live waiter of another process, and to anyone once that waiter's deadline passes", async () => {
    const path = join(tmp.path, "stowage.db");
    const storage = await createStorage(tmp.url());
    await (await storage.lock.acquire("fair")).release();
    const db = new Database(path);
    const queue = db.prepare(
      "INSERT INTO lock_waiters (namespace, name, waiter, since, deadline) VALUES ('default', 'fair', 'elsewhere', ?, ?)",
    );
    queue.run(Date.now(), Date.now() + 60_000);
    expect(await storage.lock.tryAcquire("fair")).toBeUndefined();
    db.prepare("UPDATE lock_waiters SET deadline = ? WHERE waiter = 'elsewhere'").run(Date.now() - 1);
    const lease = await storage.lock.tryAcquire("fair");
    expect(lease).toBeDefined();
    await lease?.release();
    db.close();
    // The lapsed place is bookkeeping that gc() clears.
    const backend = new SqliteBackend({ path });
    await backend.gc();
    await backend.close();
    expect(query(path, "SELECT count(*) AS n FROM lock_waiters")).toEqual({ n: 0n });
    await storage.close();
  });

  it("an expired holder's release returns false and leaves the row as it was; the counter moves on", async () => {
    const path = join(tmp.path, "stowage.db");
    const storage = await createStorage(tmp.url());
    const short = await storage.lock.acquire("brief", { ttl: 30 });
    const stored = query<{ e: bigint }>(path, "SELECT expires_at AS e FROM lock_names WHERE name = 'brief'");
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await short.release()).toBe(false);
    expect(query(path, "SELECT token AS t, expires_at AS e FROM lock_names WHERE name = 'brief'")).toEqual({
      t: short.token,
      e: stored.e,
    });
    const next = await storage.lock.acquire("brief", { ttl: 5_000 });
    expect(next.token).toBe(short.token + 1n);
    expect(await next.release()).toBe(true);
    await storage.close();
  });

  it("a file from schema 1 (separate lease and fencing tables) upgrades: counters and held leases carry over", async () => {
    const path = join(tmp.path, "stowage.db");
    const old = new Database(path);
    migrate(old, path, 1);
    const future = Date.now() + 60_000;
    old.exec(`
      INSERT INTO lock_fencing (namespace, name, last_token) VALUES ('default', 'released', ${2 ** 40}), ('default', 'held', 7);
      INSERT INTO lock_leases (namespace, name, token, expires_at) VALUES ('default', 'held', 7, ${future});
      INSERT INTO cache_entries (namespace, key, expires_at, accessed_at, value) VALUES ('default', 'kept', NULL, 1, CAST('"yes"' AS BLOB));
    `);
    old.close();
    const storage = await createStorage(tmp.url());
    const released = await storage.lock.acquire("released");
    // Above the first epoch's floor (2^28), so the carried counter, not the floor, decides the token.
    expect(released.token).toBe(2n ** 40n + 1n);
    expect(await storage.lock.tryAcquire("held")).toBeUndefined();
    expect(await storage.lock.inspect("held")).toEqual({ token: 7n, expiresAt: future });
    expect(await storage.cache.get("kept")).toBe("yes");
    await storage.close();
    const db = new Database(path);
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'lock_%' ORDER BY name").pluck().all();
    expect(tables).toEqual(["lock_names", "lock_waiters"]);
    db.close();
  });
});
