import { sleep } from "@stowage/core";
import type { OpenSubject, Subject } from "../subjects/subject.js";
import { sortableId } from "./checkpoint-ids.js";
import { scratchDir } from "./temp-dir.js";

// Checkpoint keys are [threadId, id] arrays; this string sorts after every id of a thread.
const AFTER_EVERY_ID = "\uffff";

interface Entry {
  expiresAt: number;
  json: string;
}

async function openRawLmdb(): Promise<OpenSubject> {
  const { open } = await import("lmdb");
  const dir = await scratchDir("raw-lmdb");
  // lmdb-js defaults (overlappingSync on Linux), not the adapter's (durability=process: noMetaSync).
  const root = open<Entry, string>({ path: dir.path });
  const locks = root.openDB<{ token: number; expiresAt: number }, string>({ name: "locks" });
  const checkpoints = root.openDB<Entry, [string, string]>({ name: "checkpoints" });
  let tokens = 0;
  const live = (entry: Entry | undefined) =>
    entry && entry.expiresAt > Date.now() ? JSON.parse(entry.json) : undefined;
  const newest = (threadId: string, limit: number) =>
    checkpoints.getRange({ start: [threadId, AFTER_EVERY_ID], end: [threadId], reverse: true, limit });
  return {
    cache: {
      set: (key, value, ttlMs) => root.put(key, { expiresAt: Date.now() + ttlMs, json: JSON.stringify(value) }),
      get: async (key) => live(root.get(key)),
    },
    lock: {
      acquire: async (name, ttlMs, waitMs) => {
        const token = ++tokens;
        const take = () =>
          locks.transactionSync(() => {
            const held = locks.get(name);
            if (held && held.expiresAt > Date.now()) return false;
            locks.putSync(name, { token, expiresAt: Date.now() + ttlMs });
            return true;
          });
        const deadline = performance.now() + waitMs;
        while (!take()) {
          if (performance.now() >= deadline) throw new Error(`lock ${name} still held after ${waitMs} ms`);
          await sleep(5 + Math.random() * 10);
        }
        return {
          release: async () =>
            locks.transactionSync(() => {
              if (locks.get(name)?.token === token) locks.removeSync(name);
            }),
        };
      },
    },
    checkpoint: {
      save: (threadId, payload, ttlMs) =>
        checkpoints.put([threadId, sortableId()], { expiresAt: Date.now() + ttlMs, json: JSON.stringify(payload) }),
      load: async (threadId) => {
        for (const { value } of newest(threadId, 1)) return live(value);
        return undefined;
      },
      list: async (threadId, limit) => newest(threadId, limit).map(({ value }) => live(value)).asArray,
      deleteThread: (threadId) =>
        checkpoints.transaction(() => {
          for (const key of checkpoints.getKeys({ start: [threadId], end: [threadId, AFTER_EVERY_ID] })) {
            checkpoints.removeSync(key);
          }
        }),
    },
    async close() {
      await root.close();
      await dir.remove();
    },
  };
}

/** lmdb get/put on a plain database: the ceiling of the lmdb adapter. */
export const rawLmdb: Subject = {
  name: "raw-lmdb",
  kind: "peer",
  ceilingOf: "lmdb",
  capabilities: ["cache", "lock", "checkpoint", "checkpointList"],
  open: openRawLmdb,
};
