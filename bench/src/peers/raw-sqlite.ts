import { join } from "node:path";
import { sleep } from "@stowage/core";
import type { OpenSubject, Subject } from "../subjects/subject.js";
import { sortableId } from "./checkpoint-ids.js";
import { scratchDir } from "./temp-dir.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at INTEGER);
CREATE TABLE IF NOT EXISTS locks (name TEXT PRIMARY KEY, token INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
  thread_id TEXT NOT NULL, id TEXT NOT NULL, payload BLOB NOT NULL, expires_at INTEGER,
  PRIMARY KEY (thread_id, id)
) WITHOUT ROWID;
`;

async function openRawSqlite(): Promise<OpenSubject> {
  const { default: Database } = await import("better-sqlite3");
  const dir = await scratchDir("raw-sqlite");
  const db = new Database(join(dir.path, "bench.db"));
  // The pragmas the sqlite adapter uses: WAL lets readers run beside the writer; NORMAL syncs at checkpoints only.
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.exec(SCHEMA);
  const setEntry = db.prepare(
    "INSERT INTO cache (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
  );
  const getEntry = db.prepare<[string], { value: Buffer; expires_at: number | null }>(
    "SELECT value, expires_at FROM cache WHERE key = ?",
  );
  const takeLock = db.prepare(
    "INSERT INTO locks (name, token, expires_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at WHERE locks.expires_at <= ?",
  );
  const dropLock = db.prepare("DELETE FROM locks WHERE name = ? AND token = ?");
  const saveCheckpoint = db.prepare("INSERT INTO checkpoints (thread_id, id, payload, expires_at) VALUES (?, ?, ?, ?)");
  const latest = db.prepare<[string, number, number], { payload: Buffer }>(
    "SELECT payload FROM checkpoints WHERE thread_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id DESC LIMIT ?",
  );
  const dropThread = db.prepare("DELETE FROM checkpoints WHERE thread_id = ?");
  let tokens = 0;
  const decode = (payload: Buffer) => JSON.parse(payload.toString("utf8"));
  return {
    cache: {
      set: async (key, value, ttlMs) => setEntry.run(key, Buffer.from(JSON.stringify(value)), Date.now() + ttlMs),
      get: async (key) => {
        const entry = getEntry.get(key);
        if (!entry || (entry.expires_at !== null && entry.expires_at <= Date.now())) return undefined;
        return decode(entry.value);
      },
    },
    lock: {
      acquire: async (name, ttlMs, waitMs) => {
        const token = ++tokens;
        const deadline = performance.now() + waitMs;
        while (takeLock.run(name, token, Date.now() + ttlMs, Date.now()).changes === 0) {
          if (performance.now() >= deadline) throw new Error(`lock ${name} still held after ${waitMs} ms`);
          await sleep(5 + Math.random() * 10);
        }
        return { release: async () => dropLock.run(name, token) };
      },
    },
    checkpoint: {
      save: async (threadId, payload, ttlMs) =>
        saveCheckpoint.run(threadId, sortableId(), Buffer.from(JSON.stringify(payload)), Date.now() + ttlMs),
      load: async (threadId) => {
        const row = latest.get(threadId, Date.now(), 1);
        return row ? decode(row.payload) : undefined;
      },
      list: async (threadId, limit) => latest.all(threadId, Date.now(), limit).map((row) => decode(row.payload)),
      deleteThread: async (threadId) => dropThread.run(threadId),
    },
    async close() {
      db.close();
      await dir.remove();
    },
  };
}

/** better-sqlite3 with the adapter's pragmas and a plain table: the ceiling of the sqlite adapter. */
export const rawSqlite: Subject = {
  name: "raw-better-sqlite3",
  kind: "peer",
  ceilingOf: "sqlite",
  capabilities: ["cache", "lock", "checkpoint", "checkpointList"],
  open: openRawSqlite,
};
