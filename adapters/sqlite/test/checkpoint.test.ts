import { join } from "node:path";
import { type CheckpointStore, createStorage } from "@stowage/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { LOAD_SQL, listPageSql, PAGE_SQL } from "../src/checkpoint-sql.js";
import { useTempDir } from "./helpers.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function threadRows(path: string, threadId: string): Record<string, number> {
  const db = new Database(path, { readonly: true });
  const rows: Record<string, number> = {};
  for (const table of ["checkpoints", "checkpoint_blobs", "checkpoint_writes"]) {
    rows[table] = (
      db.prepare(`SELECT count(*) AS n FROM ${table} WHERE thread_id = ?`).get(threadId) as { n: number }
    ).n;
  }
  db.close();
  return rows;
}

describe("sqlite checkpoints", () => {
  const tmp = useTempDir();

  it("every shape of list is an index range read newest first, with no scan and no sort", async () => {
    (await createStorage(tmp.url())).close();
    const db = new Database(join(tmp.path, "stowage.db"), { readonly: true });
    for (const threadId of [undefined, "t"]) {
      for (const ns of [undefined, ""]) {
        for (const before of [undefined, "id"]) {
          const sql = listPageSql({
            ...(threadId ? { threadId } : {}),
            ...(ns !== undefined ? { ns } : {}),
            ...(before ? { before } : {}),
          });
          const plan = (
            db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ namespace: "n", threadId, ns, before, now: 1, limit: 5 }) as {
              detail: string;
            }[]
          )
            .map((row) => row.detail)
            .join("; ");
          const shape = JSON.stringify({ threadId, ns, before });
          expect(plan, shape).toMatch(/^SEARCH checkpoints USING INDEX /);
          expect(plan, shape).not.toMatch(/SCAN|TEMP B-TREE/);
        }
      }
    }
    db.close();
  });

  it("a listed page reads its blobs and its writes in one statement each, every key one index search", async () => {
    (await createStorage(tmp.url())).close();
    const db = new Database(join(tmp.path, "stowage.db"), { readonly: true });
    const plans = Object.fromEntries(
      Object.entries(PAGE_SQL).map(([name, sql]) => [
        name,
        (
          db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ namespace: "n", keys: "[]", checkpoints: "[]" }) as {
            detail: string;
          }[]
        ).map((row) => row.detail),
      ]),
    );
    db.close();
    expect(plans.blobs).toEqual([
      expect.stringMatching(/^SCAN j /),
      expect.stringMatching(/^SEARCH b USING INDEX .*channel=\? AND version_type=\? AND version=\?\)$/),
    ]);
    expect(plans.writes).toEqual([
      expect.stringMatching(/^SCAN j /),
      expect.stringMatching(/^SEARCH w USING INDEX .*checkpoint_id=\?\)$/),
    ]);
  });

  it("a listed page gives each checkpoint the blob of its own version, typed and inexact numbers included", async () => {
    const storage = await createStorage(`${tmp.url()}?codec=msgpack`);
    const store = storage.checkpoint as CheckpointStore;
    const versions: (string | number)[] = [1, "1", 0.1 + 0.2, 2];
    for (const [i, version] of versions.entries()) {
      const { id } = await store.put({
        threadId: "t",
        payload: i,
        channels: { c: version, shared: "s" },
        blobs: [
          { channel: "c", version, value: `value ${i}` },
          ...(i === 0 ? [{ channel: "shared", version: "s", value: "kept" }] : []),
        ],
      });
      await store.putWrites("t", { checkpointId: id }, [
        { taskId: "a", index: 0, channel: "w", value: i },
        { taskId: "b", index: 0, channel: "w", value: -1 - i },
      ]);
    }
    const listed = [];
    for await (const checkpoint of store.listWithState({ threadId: "t" })) listed.push(checkpoint);
    expect(listed.map((checkpoint) => checkpoint.channelValues)).toEqual(
      [3, 2, 1, 0].map((i) => ({ c: `value ${i}`, shared: "kept" })),
    );
    expect(listed.map((checkpoint) => checkpoint.pendingWrites.map((write) => write.value))).toEqual(
      [3, 2, 1, 0].map((i) => [i, -1 - i]),
    );
    for (const checkpoint of listed) expect(checkpoint).toEqual(await store.get("t", { id: checkpoint.id }));
    await storage.close();
  });

  it("loading a checkpoint with its blobs and writes is one statement of key searches (scanning only the one-row checkpoint and its channel list)", async () => {
    (await createStorage(tmp.url())).close();
    const db = new Database(join(tmp.path, "stowage.db"), { readonly: true });
    for (const [name, sql] of Object.entries(LOAD_SQL)) {
      const plan = (
        db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ namespace: "n", threadId: "t", ns: "", id: "i", now: 1 }) as {
          detail: string;
        }[]
      ).map((row) => row.detail);
      expect(
        plan.filter((detail) => detail.startsWith("SEARCH b ")),
        name,
      ).toEqual([expect.stringMatching(/channel=\? AND version_type=\? AND version=\?/)]);
      expect(
        plan.filter((detail) => detail.startsWith("SEARCH w ")),
        name,
      ).toEqual([expect.stringMatching(/checkpoint_id=\?/)]);
      expect(
        plan.filter((detail) => /^SCAN (?!j |c$)/.test(detail) || /AUTOMATIC|TEMP B-TREE/.test(detail)),
        name,
      ).toEqual([]);
    }
    db.close();
  });

  it("deleteThread removes every row of the thread from every table, and nothing of other threads", async () => {
    const storage = await createStorage(tmp.url());
    for (const threadId of ["doomed", "kept"]) {
      for (const ns of ["", "sub"]) {
        for (let v = 1; v <= 3; v++) {
          const { id } = await storage.checkpoint.put({
            threadId,
            ns,
            payload: { v },
            channels: { messages: v },
            blobs: [{ channel: "messages", version: v, value: [v] }],
          });
          await storage.checkpoint.putWrites(threadId, { ns, checkpointId: id }, [
            { taskId: "task", index: 0, channel: "messages", value: v },
            { taskId: "task", index: -1, channel: "__error__", value: "boom" },
          ]);
        }
      }
    }
    const path = join(tmp.path, "stowage.db");
    expect(threadRows(path, "doomed")).toEqual({ checkpoints: 6, checkpoint_blobs: 6, checkpoint_writes: 12 });
    expect(await storage.checkpoint.countThread("doomed")).toBe(24);
    await storage.checkpoint.deleteThread("doomed");
    expect(threadRows(path, "doomed")).toEqual({ checkpoints: 0, checkpoint_blobs: 0, checkpoint_writes: 0 });
    expect(threadRows(path, "kept")).toEqual({ checkpoints: 6, checkpoint_blobs: 6, checkpoint_writes: 12 });
    await storage.close();
  });

  it("gc removes expired checkpoints with their writes and the blobs only they named", async () => {
    const storage = await createStorage(tmp.url());
    const shared = { channel: "shared", version: 1, value: "s" };
    const old = await storage.checkpoint.put(
      {
        threadId: "t",
        payload: 1,
        channels: { shared: 1, mine: 1 },
        blobs: [shared, { channel: "mine", version: 1, value: "m" }],
      },
      { ttl: 40 },
    );
    await storage.checkpoint.putWrites("t", { checkpointId: old.id }, [
      { taskId: "a", index: 0, channel: "c", value: 1 },
    ]);
    await storage.checkpoint.put({ threadId: "t", payload: 2, channels: { shared: 1 } }, { ttl: 60_000 });
    await sleep(100);
    // 1 checkpoint + 1 write + the "mine" blob; the shared blob is still named by the live checkpoint.
    expect(await storage.checkpoint.gc()).toBe(3);
    const path = join(tmp.path, "stowage.db");
    expect(threadRows(path, "t")).toEqual({ checkpoints: 1, checkpoint_blobs: 1, checkpoint_writes: 0 });
    expect((await storage.checkpoint.get("t"))?.channelValues).toEqual({ shared: "s" });
    await storage.close();
  });
});
