import {
  type CheckpointDriver,
  type CheckpointPageQuery,
  isExpired,
  type LoadedCheckpoint,
  type StoredBlob,
  type StoredCheckpoint,
  type StoredWrite,
  wallNow,
} from "@stowage/core";
import { listPage, newestFirst } from "./checkpoint-list.js";
import { type BlobRow, type CheckpointRow, fromRow, keyOf, toRow, type WriteRow } from "./checkpoint-records.js";
import type { LmdbDatabases } from "./environment.js";
import { decodeTuple, tupleRange } from "./keys/tuple.js";
import type { WriteWait } from "./write-wait.js";

const GC_PAGE = 256;

/**
 * One namespace of checkpoints. Rows: checkpoint (namespace, thread, ns, id); two indexes,
 * (namespace, thread, id, ns) and (namespace, id, thread, ns), so a list newest first is a
 * reverse range read of about `limit` keys with or without a thread; blobs and writes sit
 * under (namespace, thread, …), so deleting a thread is a handful of range deletes.
 */
export class LmdbCheckpointDriver implements CheckpointDriver {
  readonly #dbs: LmdbDatabases;
  readonly #namespace: string;
  readonly #where: string;

  readonly #writes: WriteWait;

  constructor(dbs: LmdbDatabases, namespace: string, writes: WriteWait) {
    this.#dbs = dbs;
    this.#writes = writes;
    const where = writes.where;
    this.#namespace = namespace;
    this.#where = where;
  }

  #write<T>(fn: () => T): Promise<T> {
    return this.#writes.transaction(fn);
  }

  #read<T>(fn: () => T): Promise<T> {
    return Promise.resolve(fn());
  }

  #row(threadId: string, ns: string, id: string): CheckpointRow | undefined {
    return this.#dbs.checkpoint.get(keyOf.checkpoint(this.#namespace, threadId, ns, id)) as CheckpointRow | undefined;
  }

  async put(checkpoint: StoredCheckpoint, blobs: readonly StoredBlob[]): Promise<void> {
    const { threadId, ns, id } = checkpoint;
    const row = toRow(checkpoint);
    await this.#write(() => {
      for (const blob of blobs) {
        const key = keyOf.blob(this.#namespace, threadId, ns, blob.channel, blob.version);
        // A blob is immutable: the first write of a version wins, so no put changes what an older checkpoint reads.
        if (this.#dbs.blob.doesExist(key)) continue;
        const value: BlobRow = { version: blob.version, value: blob.value };
        this.#dbs.blob.putSync(key, value);
      }
      this.#dbs.checkpoint.putSync(keyOf.checkpoint(this.#namespace, threadId, ns, id), row);
      this.#dbs.checkpointByThread.putSync(keyOf.byThread(this.#namespace, threadId, id, ns), true);
      this.#dbs.checkpointById.putSync(keyOf.byId(this.#namespace, id, threadId, ns), true);
    });
  }

  async get(threadId: string, ns: string, id: string | undefined): Promise<LoadedCheckpoint | undefined> {
    return this.#read(() => {
      let found: StoredCheckpoint | undefined;
      if (id !== undefined) {
        const row = this.#row(threadId, ns, id);
        if (row && !isExpired(row.expiresAt)) found = fromRow(threadId, ns, id, row);
      } else {
        const now = wallNow();
        for (const { key, value } of this.#dbs.checkpoint.getRange(
          newestFirst([this.#namespace, threadId, ns], undefined),
        )) {
          const row = value as CheckpointRow;
          if (isExpired(row.expiresAt, now)) continue;
          found = fromRow(threadId, ns, decodeTuple(key)[3] as string, row);
          break;
        }
      }
      if (!found) return undefined;
      const blobs: StoredBlob[] = [];
      for (const [channel, version] of Object.entries(found.channels)) {
        const blob = this.#dbs.blob.get(keyOf.blob(this.#namespace, threadId, ns, channel, version)) as
          | BlobRow
          | undefined;
        if (blob && blob.version === version) blobs.push({ channel, version, value: blob.value });
      }
      const writes = (this.#dbs.write.get(keyOf.writes(this.#namespace, threadId, ns, found.id)) ?? []) as WriteRow[];
      return { ...found, blobs, writes };
    });
  }

  async listPage(query: CheckpointPageQuery): Promise<StoredCheckpoint[]> {
    return this.#read(() => listPage(this.#dbs, this.#namespace, query));
  }

  async putWrites(threadId: string, ns: string, checkpointId: string, writes: readonly StoredWrite[]): Promise<void> {
    const key = keyOf.writes(this.#namespace, threadId, ns, checkpointId);
    await this.#write(() => {
      const stored = [...((this.#dbs.write.get(key) ?? []) as WriteRow[])];
      for (const write of writes) {
        const at = stored.findIndex((w) => w.taskId === write.taskId && w.index === write.index);
        if (at === -1) stored.push(write);
        else if (write.index < 0) stored[at] = write;
      }
      this.#dbs.write.putSync(key, stored);
    });
  }

  /** Inside a transaction: removes a checkpoint's row, index entries and writes; returns how many records went. */
  #removeCheckpoint(threadId: string, ns: string, id: string): number {
    const writesKey = keyOf.writes(this.#namespace, threadId, ns, id);
    const writes = ((this.#dbs.write.get(writesKey) ?? []) as WriteRow[]).length;
    this.#dbs.write.removeSync(writesKey);
    this.#dbs.checkpoint.removeSync(keyOf.checkpoint(this.#namespace, threadId, ns, id));
    this.#dbs.checkpointByThread.removeSync(keyOf.byThread(this.#namespace, threadId, id, ns));
    this.#dbs.checkpointById.removeSync(keyOf.byId(this.#namespace, id, threadId, ns));
    return 1 + writes;
  }

  /** Inside a transaction: removes blobs of (thread, ns) that no remaining checkpoint names; returns how many. */
  #dropOrphanBlobs(threadId: string, ns: string): number {
    const named = new Set<string>();
    for (const { value } of this.#dbs.checkpoint.getRange(tupleRange([this.#namespace, threadId, ns]))) {
      const channels = JSON.parse((value as CheckpointRow).channels) as Record<string, string | number>;
      for (const [channel, version] of Object.entries(channels)) {
        named.add(keyOf.blob(this.#namespace, threadId, ns, channel, version).toString("latin1"));
      }
    }
    let removed = 0;
    for (const key of Array.from(this.#dbs.blob.getKeys(tupleRange([this.#namespace, threadId, ns])))) {
      if (named.has(key.toString("latin1"))) continue;
      this.#dbs.blob.removeSync(key);
      removed++;
    }
    return removed;
  }

  /** The checkpoint namespaces the thread has checkpoints in. */
  #threadNamespaces(threadId: string): Set<string> {
    const namespaces = new Set<string>();
    for (const key of this.#dbs.checkpointByThread.getKeys(tupleRange([this.#namespace, threadId]))) {
      namespaces.add(decodeTuple(key)[3] as string);
    }
    return namespaces;
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.#write(() => {
      const thread = () => tupleRange([this.#namespace, threadId]);
      for (const key of Array.from(this.#dbs.checkpointByThread.getKeys(thread()))) {
        const [, , id, ns] = decodeTuple(key) as [string, string, string, string];
        this.#dbs.checkpointById.removeSync(keyOf.byId(this.#namespace, id, threadId, ns));
        this.#dbs.checkpointByThread.removeSync(key);
      }
      for (const db of [this.#dbs.checkpoint, this.#dbs.blob, this.#dbs.write]) {
        for (const key of Array.from(db.getKeys(thread()))) db.removeSync(key);
      }
    });
  }

  async prune(threadId: string, keepLast: number, ns: string | undefined): Promise<number> {
    return this.#write(() => {
      let removed = 0;
      const namespaces = ns === undefined ? this.#threadNamespaces(threadId) : [ns];
      for (const checkpointNs of namespaces) {
        const doomed = Array.from(
          this.#dbs.checkpoint.getKeys({
            ...newestFirst([this.#namespace, threadId, checkpointNs], undefined),
            offset: keepLast,
          }),
          (key) => decodeTuple(key)[3] as string,
        );
        for (const id of doomed) {
          this.#removeCheckpoint(threadId, checkpointNs, id);
          removed++;
        }
        this.#dropOrphanBlobs(threadId, checkpointNs);
      }
      return removed;
    });
  }

  async countThread(threadId: string): Promise<number> {
    return this.#read(() => {
      // lmdb keeps state in the range options it is given, so each read gets a fresh one.
      const thread = () => tupleRange([this.#namespace, threadId]);
      const checkpoints = this.#dbs.checkpoint.getKeysCount(thread());
      let writes = 0;
      for (const { value } of this.#dbs.write.getRange(thread())) writes += (value as WriteRow[]).length;
      const indexed = this.#dbs.checkpointByThread.getKeysCount(thread());
      // Each checkpoint also has a row in the by-id index, which is not ordered by thread.
      return checkpoints + indexed + checkpoints + this.#dbs.blob.getKeysCount(thread()) + writes;
    });
  }

  async gc(): Promise<number> {
    const range = tupleRange([this.#namespace]);
    let start = range.start;
    let removed = 0;
    // Pages of reads, then one short write per page: a sweep never holds the writer lock for long.
    for (;;) {
      const page = await this.#read(() =>
        Array.from(this.#dbs.checkpoint.getRange({ start, end: range.end, limit: GC_PAGE })),
      );
      const now = wallNow();
      const expired = page
        .filter(({ value }) => isExpired((value as CheckpointRow).expiresAt, now))
        .map(({ key }) => decodeTuple(key) as [string, string, string, string]);
      if (expired.length > 0) {
        removed += await this.#write(() => {
          let count = 0;
          const touched = new Map<string, [string, string]>();
          for (const [, threadId, ns, id] of expired) {
            const row = this.#row(threadId, ns, id);
            if (!row || !isExpired(row.expiresAt)) continue;
            count += this.#removeCheckpoint(threadId, ns, id);
            touched.set(`${threadId}\0${ns}`, [threadId, ns]);
          }
          for (const [threadId, ns] of touched.values()) count += this.#dropOrphanBlobs(threadId, ns);
          return count;
        });
      }
      if (page.length < GC_PAGE) return removed;
      start = Buffer.concat([(page[page.length - 1] as { key: Buffer }).key, Buffer.from([0])]);
    }
  }

  async size(): Promise<{ threads: number; checkpoints: number }> {
    return this.#read(() => {
      const threads = new Set<string>();
      let checkpoints = 0;
      for (const key of this.#dbs.checkpoint.getKeys(tupleRange([this.#namespace]))) {
        threads.add(decodeTuple(key)[1] as string);
        checkpoints++;
      }
      return { threads: threads.size, checkpoints };
    });
  }
}
