import type { ChannelVersion, StoredBlob, StoredCheckpoint, StoredWrite } from "@stowage/core";
import { checkpointRowText, wallNow } from "@stowage/core";
import type Database from "better-sqlite3";
import { blobId, parseColumn, versionColumns } from "./checkpoint-columns.js";
import { BLOB_BATCH, type CheckpointStatements, putBlobsSql } from "./checkpoint-sql.js";
import type { SqliteFile } from "./sqlite-file.js";

interface BlobKeyRow {
  channel: string;
  versionType: "number" | "string";
  version: string;
}

interface ScanRow {
  cursor: number;
  threadId: string;
  ns: string;
  id: string;
  expiresAt: number | null;
}

const GC_CHUNK = 1_000;

/** The writes of one namespace of checkpoints: put, putWrites, deleteThread, prune and gc. */
export class CheckpointWriter {
  readonly #file: SqliteFile;
  readonly #namespace: string;
  readonly #sql: CheckpointStatements;
  readonly #putBlobsStatements: Database.Statement[] = [];

  constructor(file: SqliteFile, namespace: string, sql: CheckpointStatements) {
    this.#file = file;
    this.#namespace = namespace;
    this.#sql = sql;
  }

  put(checkpoint: StoredCheckpoint, blobs: readonly StoredBlob[]): void {
    const namespace = this.#namespace;
    const { threadId, ns } = checkpoint;
    const write = () => {
      for (let start = 0; start < blobs.length; start += BLOB_BATCH) {
        const batch = blobs.slice(start, start + BLOB_BATCH);
        const params: unknown[] = [];
        for (const blob of batch) {
          const { versionType, version } = versionColumns(blob.version);
          params.push(namespace, threadId, ns, blob.channel, versionType, version, blob.value);
        }
        this.#putBlobs(batch.length).run(params);
      }
      this.#sql.putCheckpoint.run({
        namespace,
        threadId,
        ns,
        id: checkpoint.id,
        ...checkpointRowText(checkpoint),
      });
    };
    // One statement is atomic on its own; with blobs, the checkpoint and its blobs commit together.
    if (blobs.length === 0) write();
    else this.#file.write(write);
  }

  putWrites(threadId: string, ns: string, checkpointId: string, writes: readonly StoredWrite[]): void {
    const namespace = this.#namespace;
    this.#file.write(() => {
      for (const write of writes) {
        const statement = write.index >= 0 ? this.#sql.appendWrite : this.#sql.replaceWrite;
        statement.run({
          namespace,
          threadId,
          ns,
          checkpointId,
          taskId: write.taskId,
          index: write.index,
          channel: write.channel,
          value: write.value,
          taskPath: write.taskPath,
        });
      }
    });
  }

  deleteThread(threadId: string): void {
    const scope = { namespace: this.#namespace, threadId };
    this.#file.write(() => {
      this.#sql.deleteThreadCheckpoints.run(scope);
      this.#sql.deleteThreadBlobs.run(scope);
      this.#sql.deleteThreadWrites.run(scope);
    });
  }

  prune(threadId: string, keepLast: number, ns: string | undefined): number {
    const namespace = this.#namespace;
    return this.#file.write(() => {
      const namespaces =
        ns !== undefined
          ? [ns]
          : (this.#sql.threadNamespaces.all({ namespace, threadId }) as { ns: string }[]).map((row) => row.ns);
      let removed = 0;
      for (const checkpointNs of namespaces) {
        const doomed = this.#sql.beyondNewest.all({ namespace, threadId, ns: checkpointNs, keep: keepLast }) as {
          id: string;
        }[];
        for (const { id } of doomed) removed += this.#deleteCheckpoint(threadId, checkpointNs, id) > 0 ? 1 : 0;
        this.#dropOrphanBlobs(threadId, checkpointNs);
      }
      return removed;
    });
  }

  gc(): number {
    const namespace = this.#namespace;
    let removed = 0;
    // Reads in chunks and deletes in one short write transaction per chunk, so a large sweep
    // never holds the writer lock for long.
    for (let after = 0; ; ) {
      const chunk = this.#sql.scan.all({ namespace, after, limit: GC_CHUNK }) as ScanRow[];
      const now = wallNow();
      const expired = chunk.filter((row) => row.expiresAt !== null && row.expiresAt <= now);
      if (expired.length > 0) {
        removed += this.#file.write(() => {
          let records = 0;
          const touched = new Map<string, { threadId: string; ns: string }>();
          for (const { threadId, ns, id } of expired) {
            const scope = { namespace, threadId, ns, id };
            if (this.#sql.deleteExpired.run({ ...scope, now }).changes === 0) continue;
            records += 1 + this.#sql.deleteWrites.run(scope).changes;
            touched.set(`${threadId}\0${ns}`, { threadId, ns });
          }
          for (const { threadId, ns } of touched.values()) records += this.#dropOrphanBlobs(threadId, ns);
          return records;
        });
      }
      const last = chunk[chunk.length - 1];
      if (chunk.length < GC_CHUNK || last === undefined) return removed;
      after = last.cursor;
    }
  }

  /** Deletes one checkpoint and its writes; returns how many records went. */
  #deleteCheckpoint(threadId: string, ns: string, id: string): number {
    const scope = { namespace: this.#namespace, threadId, ns, id };
    return this.#sql.deleteCheckpoint.run(scope).changes + this.#sql.deleteWrites.run(scope).changes;
  }

  /** Deletes the blobs of (thread, ns) that no remaining checkpoint names; returns how many. */
  #dropOrphanBlobs(threadId: string, ns: string): number {
    const scope = { namespace: this.#namespace, threadId, ns };
    const named = new Set<string>();
    for (const { channels } of this.#sql.channelsOf.all(scope) as { channels: string }[]) {
      for (const [channel, version] of Object.entries(
        parseColumn(channels, "channels", this.#file.path) as Record<string, ChannelVersion>,
      )) {
        const columns = versionColumns(version);
        named.add(blobId(channel, columns.versionType, columns.version));
      }
    }
    let removed = 0;
    for (const blob of this.#sql.blobsOf.all(scope) as BlobKeyRow[]) {
      if (named.has(blobId(blob.channel, blob.versionType, blob.version))) continue;
      removed += this.#sql.deleteBlob.run({ ...scope, ...blob }).changes;
    }
    return removed;
  }

  /** The insert of `count` blobs (1..BLOB_BATCH), prepared on first use. */
  #putBlobs(count: number): Database.Statement {
    let statement = this.#putBlobsStatements[count];
    if (statement === undefined) {
      const sql = putBlobsSql(count);
      statement = this.#file.db.prepare(sql);
      this.#putBlobsStatements[count] = statement;
    }
    return statement;
  }
}
