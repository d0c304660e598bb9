import {
  type ChannelVersion,
  type CheckpointDriver,
  type CheckpointPageQuery,
  CorruptDataError,
  type JsonObject,
  type LoadedCheckpoint,
  type StoredBlob,
  type StoredCheckpoint,
  type StoredWrite,
  wallNow,
} from "@stowage/core";
import type Database from "better-sqlite3";
import {
  BLOB_BATCH,
  CHECKPOINT_SQL,
  type CheckpointStatements,
  LOAD_ROW,
  LOAD_ROW_KIND,
  LOAD_SQL,
  type LoadRow,
  listPageSql,
  PAGE_SQL,
  putBlobsSql,
} from "./checkpoint-sql.js";
import type { SqliteFile } from "./sqlite-file.js";

interface CheckpointRow {
  threadId: string;
  ns: string;
  id: string;
  parentId: string | null;
  metadata: string;
  payload: Buffer;
  channels: string;
  createdAt: number;
  expiresAt: number | null;
}

interface BlobKeyRow {
  channel: string;
  versionType: "number" | "string";
  version: string;
}

const { checkpoint: HEAD, blob: BLOB, write: WRITE } = LOAD_ROW;

/** True when the load statement matches this version's blob itself (strings, and integers it prints alike). */
const matchedInSql = (version: ChannelVersion) => typeof version === "string" || Number.isSafeInteger(version);

const GC_CHUNK = 1_000;

interface ScanRow {
  cursor: number;
  threadId: string;
  ns: string;
  id: string;
  expiresAt: number | null;
}

/** A channel version as two columns, so that 1 and "1" stay different versions. */
function versionColumns(version: ChannelVersion): { versionType: "number" | "string"; version: string } {
  return { versionType: typeof version === "number" ? "number" : "string", version: String(version) };
}

const blobId = (channel: string, versionType: string, version: string) => `${channel}\0${versionType}\0${version}`;

/** One namespace of checkpoints in the shared database file: checkpoints, channel blobs and pending writes. */
export class SqliteCheckpointDriver implements CheckpointDriver {
  readonly #file: SqliteFile;
  readonly #namespace: string;
  readonly #sql: CheckpointStatements;
  readonly #loadStatements: { [K in keyof typeof LOAD_SQL]: Database.Statement };
  readonly #pageStatements: { [K in keyof typeof PAGE_SQL]: Database.Statement };
  /** listPage statements, one per shape of query (thread?, ns?, before?), prepared on first use. */
  readonly #listStatements = new Map<string, Database.Statement>();
  readonly #putBlobsStatements: Database.Statement[] = [];

  constructor(file: SqliteFile, namespace: string) {
    this.#file = file;
    this.#namespace = namespace;
    this.#sql = file.use(
      () =>
        Object.fromEntries(
          Object.entries(CHECKPOINT_SQL).map(([name, sql]) => [name, file.db.prepare(sql)]),
        ) as CheckpointStatements,
    );
    this.#loadStatements = file.use(() => ({
      loadById: file.db.prepare(LOAD_SQL.loadById).raw(true),
      loadLatest: file.db.prepare(LOAD_SQL.loadLatest).raw(true),
    }));
    this.#pageStatements = file.use(() => ({
      blobs: file.db.prepare(PAGE_SQL.blobs),
      writes: file.db.prepare(PAGE_SQL.writes),
    }));
  }

  async put(checkpoint: StoredCheckpoint, blobs: readonly StoredBlob[]): Promise<void> {
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
        parentId: checkpoint.parentId,
        metadata: checkpoint.metadataText ?? JSON.stringify(checkpoint.metadata),
        payload: checkpoint.payload,
        channels: JSON.stringify(checkpoint.channels),
        createdAt: checkpoint.createdAt,
        expiresAt: checkpoint.expiresAt,
      });
    };
    // One statement is atomic on its own; with blobs, the checkpoint and its blobs commit together.
    if (blobs.length === 0) this.#file.use(write);
    else this.#file.write(write);
  }

  async get(threadId: string, ns: string, id: string | undefined): Promise<LoadedCheckpoint | undefined> {
    // One statement reads the checkpoint, its blobs and its writes: one snapshot, one call into SQLite.
    return this.#file.use(() => this.#load(threadId, ns, id));
  }

  #load(threadId: string, ns: string, id: string | undefined): LoadedCheckpoint | undefined {
    const namespace = this.#namespace;
    const now = wallNow();
    const rows = (
      id === undefined
        ? this.#loadStatements.loadLatest.all({ namespace, threadId, ns, now })
        : this.#loadStatements.loadById.all({ namespace, threadId, ns, id, now })
    ) as LoadRow[];
    const head = rows.find((row) => row[LOAD_ROW_KIND] === HEAD.kind);
    if (head === undefined) return undefined;
    const channels = this.#parse(head[HEAD.channels] as string, "channels") as Record<string, ChannelVersion>;
    const blobs: StoredBlob[] = [];
    const writes: { write: StoredWrite; arrival: number }[] = [];
    for (const row of rows) {
      if (row[LOAD_ROW_KIND] === BLOB.kind) {
        const channel = row[BLOB.channel] as string;
        const version = channels[channel] as ChannelVersion;
        if (matchedInSql(version)) blobs.push({ channel, version, value: row[BLOB.value] });
      } else if (row[LOAD_ROW_KIND] === WRITE.kind) {
        writes.push({
          write: {
            taskId: row[WRITE.taskId] as string,
            index: row[WRITE.index] as number,
            channel: row[WRITE.channel] as string,
            taskPath: row[WRITE.taskPath] as string,
            value: row[WRITE.value],
          },
          arrival: row[WRITE.arrival],
        });
      }
    }
    // A number version that is not a safe integer may print differently in SQLite: looked up exactly here.
    for (const [channel, version] of Object.entries(channels)) {
      if (matchedInSql(version)) continue;
      const blob = this.#sql.blob.get({ namespace, threadId, ns, channel, ...versionColumns(version) }) as
        | { value: Buffer }
        | undefined;
      if (blob !== undefined) blobs.push({ channel, version, value: blob.value });
    }
    writes.sort((a, b) => a.arrival - b.arrival);
    return {
      threadId,
      ns,
      id: head[HEAD.id] as string,
      parentId: head[HEAD.parentId] as string | null,
      metadata: this.#parse(head[HEAD.metadata] as string, "metadata") as JsonObject,
      payload: head[HEAD.payload],
      channels,
      createdAt: head[HEAD.createdAt] as number,
      expiresAt: head[HEAD.expiresAt] as number | null,
      blobs,
      writes: writes.map((entry) => entry.write),
    };
  }

  async listPage(query: CheckpointPageQuery): Promise<StoredCheckpoint[]> {
    return this.#file.use(() => this.#listRows(query).map((row) => this.#decode(row)));
  }

  async listLoadedPage(query: CheckpointPageQuery): Promise<LoadedCheckpoint[]> {
    // One read transaction (one snapshot): the page's rows, then all their blobs in one statement and
    // all their writes in another; a blob that several checkpoints of the page name is read once.
    return this.#file.read(() => {
      const namespace = this.#namespace;
      const page = this.#listRows(query).map((row) => this.#decode(row));
      if (page.length === 0) return [];
      const keys: [string, string, string, string, string][] = [];
      const keyIndex = new Map<string, number>();
      const wanted: { checkpoint: number; channel: string; version: ChannelVersion; key: number }[] = [];
      const exact: { checkpoint: number; channel: string; version: ChannelVersion }[] = [];
      page.forEach((checkpoint, at) => {
        for (const [channel, version] of Object.entries(checkpoint.channels)) {
          // A number version that is not a safe integer may print differently in SQLite: looked up exactly below.
          if (!matchedInSql(version)) {
            exact.push({ checkpoint: at, channel, version });
            continue;
          }
          const { versionType, version: text } = versionColumns(version);
          const id = `${checkpoint.threadId}\0${checkpoint.ns}\0${blobId(channel, versionType, text)}`;
          let key = keyIndex.get(id);
          if (key === undefined) {
            key = keys.push([checkpoint.threadId, checkpoint.ns, channel, versionType, text]) - 1;
            keyIndex.set(id, key);
          }
          wanted.push({ checkpoint: at, channel, version, key });
        }
      });
      const values: (Buffer | undefined)[] = [];
      if (keys.length > 0) {
        const rows = this.#pageStatements.blobs.all({ namespace, keys: JSON.stringify(keys) }) as {
          k: number;
          value: Buffer;
        }[];
        for (const row of rows) values[row.k] = row.value;
      }
      const loaded: LoadedCheckpoint[] = page.map((checkpoint) => ({ ...checkpoint, blobs: [], writes: [] }));
      for (const { checkpoint, channel, version, key } of wanted) {
        const value = values[key];
        if (value !== undefined) loaded[checkpoint]?.blobs.push({ channel, version, value });
      }
      for (const { checkpoint, channel, version } of exact) {
        const { threadId, ns } = page[checkpoint] as StoredCheckpoint;
        const blob = this.#sql.blob.get({ namespace, threadId, ns, channel, ...versionColumns(version) }) as
          | { value: Buffer }
          | undefined;
        if (blob !== undefined) loaded[checkpoint]?.blobs.push({ channel, version, value: blob.value });
      }
      const checkpoints = JSON.stringify(page.map((checkpoint) => [checkpoint.threadId, checkpoint.ns, checkpoint.id]));
      const writes = this.#pageStatements.writes.all({ namespace, checkpoints }) as (StoredWrite & {
        k: number;
        arrival: number;
      })[];
      // In arrival (rowid) order, as get returns them.
      writes.sort((a, b) => a.arrival - b.arrival);
      for (const row of writes) {
        loaded[row.k]?.writes.push({
          taskId: row.taskId,
          index: row.index,
          channel: row.channel,
          taskPath: row.taskPath,
          value: row.value,
        });
      }
      return loaded;
    });
  }

  #listRows(query: CheckpointPageQuery): CheckpointRow[] {
    return this.#listStatement(query).all({
      namespace: this.#namespace,
      now: wallNow(),
      limit: query.limit,
      ...(query.threadId !== undefined ? { threadId: query.threadId } : {}),
      ...(query.ns !== undefined ? { ns: query.ns } : {}),
      ...(query.before !== undefined ? { before: query.before } : {}),
    }) as CheckpointRow[];
  }

  async putWrites(threadId: string, ns: string, checkpointId: string, writes: readonly StoredWrite[]): Promise<void> {
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

  async deleteThread(threadId: string): Promise<void> {
    const scope = { namespace: this.#namespace, threadId };
    this.#file.write(() => {
      this.#sql.deleteThreadCheckpoints.run(scope);
      this.#sql.deleteThreadBlobs.run(scope);
      this.#sql.deleteThreadWrites.run(scope);
    });
  }

  async prune(threadId: string, keepLast: number, ns: string | undefined): Promise<number> {
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

  async countThread(threadId: string): Promise<number> {
    return this.#file.read(
      () => (this.#sql.countThread.get({ namespace: this.#namespace, threadId }) as { records: number }).records,
    );
  }

  async gc(): Promise<number> {
    const namespace = this.#namespace;
    let removed = 0;
    // Reads in chunks and deletes in one short write transaction per chunk, so a large sweep
    // never holds the writer lock for long.
    for (let after = 0; ; ) {
      const chunk = this.#file.use(() => this.#sql.scan.all({ namespace, after, limit: GC_CHUNK })) as ScanRow[];
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

  async size(): Promise<{ threads: number; checkpoints: number }> {
    return this.#file.use(
      () => this.#sql.size.get({ namespace: this.#namespace }) as { threads: number; checkpoints: number },
    );
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
        this.#parse(channels, "channels") as Record<string, ChannelVersion>,
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

  #listStatement(query: CheckpointPageQuery): Database.Statement {
    const shape = `${query.threadId !== undefined}${query.ns !== undefined}${query.before !== undefined}`;
    let statement = this.#listStatements.get(shape);
    if (statement === undefined) {
      const sql = listPageSql(query);
      statement = this.#file.use(() => this.#file.db.prepare(sql));
      this.#listStatements.set(shape, statement);
    }
    return statement;
  }

  #decode(row: CheckpointRow): StoredCheckpoint {
    return {
      threadId: row.threadId,
      ns: row.ns,
      id: row.id,
      parentId: row.parentId,
      metadata: this.#parse(row.metadata, "metadata") as JsonObject,
      payload: row.payload,
      channels: this.#parse(row.channels, "channels") as Record<string, ChannelVersion>,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
    };
  }

  #parse(text: string, column: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new CorruptDataError(`checkpoint ${column} in ${this.#file.path} is not valid JSON`, { cause: error });
    }
  }
}
