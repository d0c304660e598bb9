import type {
  ChannelVersion,
  CheckpointPageQuery,
  JsonObject,
  LoadedCheckpoint,
  StoredBlob,
  StoredCheckpoint,
  StoredWrite,
} from "@stowage/core";
import { wallNow } from "@stowage/core";
import type Database from "better-sqlite3";
import { blobId, matchedInSql, parseColumn, versionColumns } from "./checkpoint-columns.js";
import {
  type CheckpointStatements,
  LOAD_ROW,
  LOAD_ROW_KIND,
  LOAD_SQL,
  type LoadRow,
  listPageSql,
  PAGE_SQL,
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

const { checkpoint: HEAD, blob: BLOB, write: WRITE } = LOAD_ROW;

/** The reads of one namespace of checkpoints: get, list pages (with or without their blobs), counts. */
export class CheckpointReader {
  readonly #file: SqliteFile;
  readonly #namespace: string;
  readonly #sql: CheckpointStatements;
  readonly #loadStatements: { [K in keyof typeof LOAD_SQL]: Database.Statement };
  readonly #pageStatements: { [K in keyof typeof PAGE_SQL]: Database.Statement };
  /** listPage statements, one per shape of query (thread?, ns?, before?), prepared on first use. */
  readonly #listStatements = new Map<string, Database.Statement>();

  constructor(file: SqliteFile, namespace: string, sql: CheckpointStatements) {
    this.#file = file;
    this.#namespace = namespace;
    this.#sql = sql;
    // Prepared before the driver is wrapped in its edge, so SQLite errors are translated here.
    this.#loadStatements = file.use(() => ({
      loadById: file.db.prepare(LOAD_SQL.loadById).raw(true),
      loadLatest: file.db.prepare(LOAD_SQL.loadLatest).raw(true),
    }));
    this.#pageStatements = file.use(() => ({
      blobs: file.db.prepare(PAGE_SQL.blobs),
      writes: file.db.prepare(PAGE_SQL.writes),
    }));
  }

  /** One statement reads the checkpoint, its blobs and its writes: one snapshot, one call into SQLite. */
  get(threadId: string, ns: string, id: string | undefined): LoadedCheckpoint | undefined {
    const namespace = this.#namespace;
    const now = wallNow();
    const rows = (
      id === undefined
        ? this.#loadStatements.loadLatest.all({ namespace, threadId, ns, now })
        : this.#loadStatements.loadById.all({ namespace, threadId, ns, id, now })
    ) as LoadRow[];
    const head = rows.find((row) => row[LOAD_ROW_KIND] === HEAD.kind);
    if (head === undefined) return undefined;
    const channels = parseColumn(head[HEAD.channels] as string, "channels", this.#file.path) as Record<
      string,
      ChannelVersion
    >;
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
      metadata: parseColumn(head[HEAD.metadata] as string, "metadata", this.#file.path) as JsonObject,
      payload: head[HEAD.payload],
      channels,
      createdAt: head[HEAD.createdAt] as number,
      expiresAt: head[HEAD.expiresAt] as number | null,
      blobs,
      writes: writes.map((entry) => entry.write),
    };
  }

  listPage(query: CheckpointPageQuery): StoredCheckpoint[] {
    return this.#listRows(query).map((row) => this.#decode(row));
  }

  listLoadedPage(query: CheckpointPageQuery): LoadedCheckpoint[] {
    // One read transaction (one snapshot): the page's rows, then all their blobs in one statement and
    // all their writes in another; a blob that several checkpoints of the page name is read once.
    return this.#file.read(() => {
      const namespace = this.#namespace;
      const page = this.listPage(query);
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

  countThread(threadId: string): number {
    return this.#file.read(
      () => (this.#sql.countThread.get({ namespace: this.#namespace, threadId }) as { records: number }).records,
    );
  }

  size(): { threads: number; checkpoints: number } {
    return this.#sql.size.get({ namespace: this.#namespace }) as { threads: number; checkpoints: number };
  }

  #listStatement(query: CheckpointPageQuery): Database.Statement {
    const shape = `${query.threadId !== undefined}${query.ns !== undefined}${query.before !== undefined}`;
    let statement = this.#listStatements.get(shape);
    if (statement === undefined) {
      const sql = listPageSql(query);
      statement = this.#file.db.prepare(sql);
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
      metadata: parseColumn(row.metadata, "metadata", this.#file.path) as JsonObject,
      payload: row.payload,
      channels: parseColumn(row.channels, "channels", this.#file.path) as Record<string, ChannelVersion>,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
    };
  }
}
