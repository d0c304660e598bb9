import { type CheckpointPageQuery, isExpired, type StoredCheckpoint, wallNow } from "@stowage/core";
import { type CheckpointRow, fromRow, keyOf } from "./checkpoint-records.js";
import type { LmdbDatabases } from "./environment.js";
import { decodeTuple, encodeTuple, tupleRange } from "./keys/tuple.js";

/** A reverse range read of the tuples under `parts`, from just below `before` (or the top) down. */
export function newestFirst(parts: readonly string[], before: string | undefined) {
  const range = tupleRange(parts);
  return { start: before === undefined ? range.end : encodeTuple([...parts, before]), end: range.start, reverse: true };
}

/**
 * Up to `limit` live checkpoints newest first, reading the index that fits the query in reverse
 * and stopping once the page is full: (thread, ns) reads the rows themselves, a thread alone its
 * by-thread index, and no thread the by-id index (filtered by ns when one is given).
 */
export function listPage(dbs: LmdbDatabases, namespace: string, query: CheckpointPageQuery): StoredCheckpoint[] {
  const now = wallNow();
  const page: StoredCheckpoint[] = [];
  const row = (threadId: string, ns: string, id: string) =>
    dbs.checkpoint.get(keyOf.checkpoint(namespace, threadId, ns, id)) as CheckpointRow | undefined;
  const take = (threadId: string, ns: string, id: string, found: CheckpointRow | undefined): boolean => {
    if (found && !isExpired(found.expiresAt, now)) page.push(fromRow(threadId, ns, id, found));
    return page.length >= query.limit;
  };
  // Ids equal to `before` sit at the range's inclusive start; the contract wants strictly older.
  if (query.threadId !== undefined && query.ns !== undefined) {
    const { threadId, ns } = query;
    for (const { key, value } of dbs.checkpoint.getRange(newestFirst([namespace, threadId, ns], query.before))) {
      const id = decodeTuple(key)[3] as string;
      if (id === query.before) continue;
      if (take(threadId, ns, id, value as CheckpointRow)) break;
    }
  } else if (query.threadId !== undefined) {
    const threadId = query.threadId;
    for (const key of dbs.checkpointByThread.getKeys(newestFirst([namespace, threadId], query.before))) {
      const [, , id, ns] = decodeTuple(key) as [string, string, string, string];
      if (id === query.before) continue;
      if (take(threadId, ns, id, row(threadId, ns, id))) break;
    }
  } else {
    for (const key of dbs.checkpointById.getKeys(newestFirst([namespace], query.before))) {
      const [, id, threadId, ns] = decodeTuple(key) as [string, string, string, string];
      if (id === query.before || (query.ns !== undefined && ns !== query.ns)) continue;
      if (take(threadId, ns, id, row(threadId, ns, id))) break;
    }
  }
  return page;
}
