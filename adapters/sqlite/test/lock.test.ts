import { join } from "node:path";
import { createStorage } from "@stowage/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
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

  it("the fencing counter outlives the lease row and a reopen of the file", async () => {
    const path = join(tmp.path, "stowage.db");
    let storage = await createStorage(tmp.url());
    const first = await storage.lock.acquire("job", { ttl: 5_000 });
    expect(await first.release()).toBe(true);
    expect(query(path, "SELECT count(*) AS n FROM lock_leases")).toEqual({ n: 0n });
    expect(query(path, "SELECT last_token AS t FROM lock_fencing WHERE name = 'job'")).toEqual({ t: first.token });
    await storage.close();
    storage = await createStorage(tmp.url());
    const second = await storage.lock.acquire("job", { ttl: 5_000 });
    expect(second.token).toBeGreaterThan(first.token);
    await second.release();
    await storage.close();
  });

  it("tokens stay exact past 2^53", async () => {
    const path = join(tmp.path, "stowage.db");
    const storage = await createStorage(`${tmp.url()}?namespace=big`);
    await (await storage.lock.acquire("n")).release();
    const db = new Database(path);
    db.prepare("UPDATE lock_fencing SET last_token = ? WHERE namespace = 'big'").run(2n ** 62n);
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
});
