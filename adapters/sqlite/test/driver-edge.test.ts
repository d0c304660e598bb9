import { join } from "node:path";
import { createStorage, isStowageError } from "@stowage/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { useTempDir } from "./helpers.js";

/** What a call rejected with; fails the test when it resolved. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to reject");
}

// The lock and checkpoint drivers no longer translate SQLite errors themselves: these prove the edge does.
describe("sqlite drivers behind the driver edge", () => {
  const tmp = useTempDir();

  it("a write blocked by another connection's write lock rejects with ERR_BACKEND_UNAVAILABLE, never a raw SqliteError", async () => {
    const storage = await createStorage(`${tmp.url()}?busyTimeout=10`);
    const { id } = await storage.checkpoint.put({ threadId: "t", payload: 1, channels: { c: 1 } });
    const lease = await storage.lock.acquire("held", { ttl: 60_000 });
    const blocker = new Database(join(tmp.path, "stowage.db"));
    blocker.exec("BEGIN IMMEDIATE");
    try {
      // Thunks run one at a time, so each rejection is awaited as it happens.
      const calls: [string, () => Promise<unknown>][] = [
        ["put", () => storage.checkpoint.put({ threadId: "t", payload: 2, channels: { c: 2 } })],
        [
          "put with blobs",
          () =>
            storage.checkpoint.put({
              threadId: "t",
              payload: 3,
              channels: { c: 3 },
              blobs: [{ channel: "c", version: 3, value: 3 }],
            }),
        ],
        [
          "putWrites",
          () =>
            storage.checkpoint.putWrites("t", { checkpointId: id }, [
              { taskId: "k", index: 0, channel: "c", value: 1 },
            ]),
        ],
        ["deleteThread", () => storage.checkpoint.deleteThread("t")],
        ["prune", () => storage.checkpoint.prune("t", { keepLast: 0 })],
        ["acquire", () => storage.lock.acquire("free", { ttl: 1_000, waitMs: 0 })],
        ["extend", () => lease.extend(60_000)],
      ];
      for (const [name, call] of calls) {
        const error = await rejection(call());
        expect(isStowageError(error), `${name}: ${String(error)}`).toBe(true);
        expect(error, name).toMatchObject({ code: "ERR_BACKEND_UNAVAILABLE" });
      }
    } finally {
      blocker.exec("ROLLBACK");
      blocker.close();
    }
    // Once the other writer is gone, the same store works again.
    expect(await lease.release()).toBe(true);
    expect((await storage.checkpoint.get("t"))?.id).toBe(id);
    await storage.close();
  });

  it("channels that SQLite's JSON functions refuse read as ERR_CORRUPT_DATA from get and list", async () => {
    const storage = await createStorage(tmp.url());
    await storage.checkpoint.put({ threadId: "t", payload: 1, channels: { c: 1 } });
    const db = new Database(join(tmp.path, "stowage.db"));
    db.prepare("UPDATE checkpoints SET channels = ? WHERE thread_id = 't'").run('{"c": 1');
    db.close();
    expect(await rejection(storage.checkpoint.get("t"))).toMatchObject({ code: "ERR_CORRUPT_DATA" });
    const listing = (async () => {
      for await (const _ of storage.checkpoint.listWithState({ threadId: "t" })) {
      }
    })();
    expect(await rejection(listing)).toMatchObject({ code: "ERR_CORRUPT_DATA" });
    await storage.close();
  });

  it("a closed store rejects every checkpoint and lock call with ERR_CLOSED", async () => {
    const storage = await createStorage(tmp.url());
    await storage.close();
    for (const call of [
      storage.checkpoint.get("t"),
      storage.checkpoint.put({ threadId: "t", payload: 1, channels: {} }),
      storage.checkpoint.countThread("t"),
      storage.lock.acquire("n"),
    ]) {
      expect(await rejection(call)).toMatchObject({ code: "ERR_CLOSED" });
    }
  });
});
