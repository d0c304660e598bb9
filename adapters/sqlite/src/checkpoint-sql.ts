import type Database from "better-sqlite3";

const COLUMNS = `thread_id AS threadId, ns, id, parent_id AS parentId, metadata, payload, channels,
                 created_at AS createdAt, expires_at AS expiresAt`;
const LIVE = "(expires_at IS NULL OR expires_at > @now)";

/** Every statement of the checkpoint driver; all take named parameters. */
export const CHECKPOINT_SQL = {
  putCheckpoint: `INSERT INTO checkpoints
                    (namespace, thread_id, ns, id, parent_id, metadata, payload, channels, created_at, expires_at)
                  VALUES (@namespace, @threadId, @ns, @id, @parentId, @metadata, @payload, @channels, @createdAt, @expiresAt)
                  ON CONFLICT (namespace, thread_id, ns, id) DO UPDATE SET
                    parent_id = excluded.parent_id, metadata = excluded.metadata, payload = excluded.payload,
                    channels = excluded.channels, created_at = excluded.created_at, expires_at = excluded.expires_at`,
  blob: `SELECT value FROM checkpoint_blobs
         WHERE namespace = @namespace AND thread_id = @threadId AND ns = @ns
           AND channel = @channel AND version_type = @versionType AND version = @version`,
  // A non-negative index is kept when (taskId, index) exists; a negative one (error, interrupt, …) replaces it.
  appendWrite: `INSERT INTO checkpoint_writes
                  (namespace, thread_id, ns, checkpoint_id, task_id, idx, channel, value, task_path)
                VALUES (@namespace, @threadId, @ns, @checkpointId, @taskId, @index, @channel, @value, @taskPath)
                ON CONFLICT (namespace, thread_id, ns, checkpoint_id, task_id, idx) DO NOTHING`,
  replaceWrite: `INSERT INTO checkpoint_writes
                   (namespace, thread_id, ns, checkpoint_id, task_id, idx, channel, value, task_path)
                 VALUES (@namespace, @threadId, @ns, @checkpointId, @taskId, @index, @channel, @value, @taskPath)
                 ON CONFLICT (namespace, thread_id, ns, checkpoint_id, task_id, idx) DO UPDATE SET
                   channel = excluded.channel, value = excluded.value, task_path = excluded.task_path`,
  deleteThreadCheckpoints: "DELETE FROM checkpoints WHERE namespace = @namespace AND thread_id = @threadId",
  deleteThreadBlobs: "DELETE FROM checkpoint_blobs WHERE namespace = @namespace AND thread_id = @threadId",
  deleteThreadWrites: "DELETE FROM checkpoint_writes WHERE namespace = @namespace AND thread_id = @threadId",
  threadNamespaces: "SELECT DISTINCT ns FROM checkpoints WHERE namespace = @namespace AND thread_id = @threadId",
  beyondNewest: `SELECT id FROM checkpoints WHERE namespace = @namespace AND thread_id = @threadId AND ns = @ns
                 ORDER BY id DESC LIMIT -1 OFFSET @keep`,
  deleteCheckpoint: `DELETE FROM checkpoints
                     WHERE namespace = @namespace AND thread_id = @threadId AND ns = @ns AND id = @id`,
  deleteWrites: `DELETE FROM checkpoint_writes
                 WHERE namespace = @namespace AND thread_id = @threadId AND ns = @ns AND checkpoint_id = @id`,
  channelsOf: "SELECT channels FROM checkpoints WHERE namespace = @namespace AND thread_id = @threadId AND ns = @ns",
  blobsOf: `SELECT channel, version_type AS versionType, version FROM checkpoint_blobs
            WHERE namespace = @namespace AND thread_id = @threadId AND ns = @ns`,
  deleteBlob: `DELETE FROM checkpoint_blobs
               WHERE namespace = @namespace AND thread_id = @threadId AND ns = @ns
                 AND channel = @channel AND version_type = @versionType AND version = @version`,
  countThread: `SELECT
                  (SELECT count(*) FROM checkpoints WHERE namespace = @namespace AND thread_id = @threadId)
                + (SELECT count(*) FROM checkpoint_blobs WHERE namespace = @namespace AND thread_id = @threadId)
                + (SELECT count(*) FROM checkpoint_writes WHERE namespace = @namespace AND thread_id = @threadId)
                AS records`,
  // No expiry index (one less b-tree per put): gc walks the table in rowid chunks.
  scan: `SELECT rowid AS cursor, thread_id AS threadId, ns, id, expires_at AS expiresAt FROM checkpoints
         WHERE rowid > @after AND namespace = @namespace ORDER BY rowid LIMIT @limit`,
  deleteExpired: `DELETE FROM checkpoints
                  WHERE namespace = @namespace AND thread_id = @threadId AND ns = @ns AND id = @id AND expires_at <= @now`,
  size: `SELECT count(DISTINCT thread_id) AS threads, count(*) AS checkpoints FROM checkpoints
         WHERE namespace = @namespace`,
} as const;

/**
 * A checkpoint with its channel blobs and its writes in one statement (one read snapshot, one
 * call into SQLite). Rows come as [kind, a, b, c, d, value, createdAt, expiresAt], ordered by kind:
 * - 0, the checkpoint: [0, id, parentId, metadata, channels, payload, createdAt, expiresAt]
 * - 1, a blob the checkpoint names: [1, channel, null, null, null, value]
 * - 2, a write, in arrival order: [2, taskId, index, channel, taskPath, value]
 * Blobs are matched on the version as json_each gives it (text, or an integer's decimal text);
 * the driver looks up any other number version itself, since SQLite may print a real differently.
 */
function loadSql(checkpoint: string): string {
  return `WITH c AS (${checkpoint})
    SELECT 0 AS kind, id AS a, parent_id AS b, metadata AS c, channels AS d, payload AS value,
           created_at AS createdAt, expires_at AS expiresAt, 0 AS ord FROM c
    UNION ALL
    SELECT 1, j.key, NULL, NULL, NULL, b.value, NULL, NULL, 0
      FROM c CROSS JOIN json_each(c.channels) AS j CROSS JOIN checkpoint_blobs AS b
     WHERE j.type IN ('text', 'integer')
       AND b.namespace = @namespace AND b.thread_id = @threadId AND b.ns = @ns AND b.channel = j.key
       AND b.version_type = CASE j.type WHEN 'text' THEN 'string' ELSE 'number' END
       AND b.version = CAST(j.value AS TEXT)
    UNION ALL
    SELECT 2, w.task_id, w.idx, w.channel, w.task_path, w.value, NULL, NULL, w.rowid
      FROM c CROSS JOIN checkpoint_writes AS w
     WHERE w.namespace = @namespace AND w.thread_id = @threadId AND w.ns = @ns AND w.checkpoint_id = c.id`;
}

/** A row of the load statement as better-sqlite3's raw mode gives it (an array: no object per row). */
export type LoadRow = [LoadRowKind, unknown, unknown, unknown, unknown, Buffer, unknown, unknown, number];
type LoadRowKind = (typeof LOAD_ROW)[keyof typeof LOAD_ROW]["kind"];

/** The columns of each kind of load row, by name (see loadSql). */
export const LOAD_ROW = {
  checkpoint: { kind: 0, id: 1, parentId: 2, metadata: 3, channels: 4, payload: 5, createdAt: 6, expiresAt: 7 },
  blob: { kind: 1, channel: 1, value: 5 },
  write: { kind: 2, taskId: 1, index: 2, channel: 3, taskPath: 4, value: 5, arrival: 8 },
} as const;
/** Which column of a load row says its kind. */
export const LOAD_ROW_KIND = 0;

const CHECKPOINT_ROW = "SELECT id, parent_id, metadata, channels, payload, created_at, expires_at FROM checkpoints";

/** The load statements: a checkpoint by id, and the newest of (thread, ns); see loadSql. */
export const LOAD_SQL = {
  loadById: loadSql(
    `${CHECKPOINT_ROW} WHERE namespace = @namespace AND thread_id = @threadId AND ns = @ns AND id = @id AND ${LIVE}`,
  ),
  loadLatest: loadSql(
    `${CHECKPOINT_ROW} WHERE namespace = @namespace AND thread_id = @threadId AND ns = @ns AND ${LIVE}
     ORDER BY id DESC LIMIT 1`,
  ),
} as const;

/**
 * The blobs and the writes of a page of listed checkpoints, one statement each (list reads the
 * checkpoint rows themselves already). @keys is a JSON array of [threadId, ns, channel, versionType,
 * version] and @checkpoints one of [threadId, ns, id]; each row carries the index of its key (k), and
 * a write its rowid (arrival order). Every key is one search of the table's unique index.
 */
export const PAGE_SQL = {
  blobs: `SELECT j.key AS k, b.value AS value FROM json_each(@keys) AS j CROSS JOIN checkpoint_blobs AS b
          WHERE b.namespace = @namespace AND b.thread_id = j.value ->> 0 AND b.ns = j.value ->> 1
            AND b.channel = j.value ->> 2 AND b.version_type = j.value ->> 3 AND b.version = j.value ->> 4`,
  writes: `SELECT j.key AS k, w.task_id AS taskId, w.idx AS "index", w.channel AS channel, w.task_path AS taskPath,
                  w.value AS value, w.rowid AS arrival
           FROM json_each(@checkpoints) AS j CROSS JOIN checkpoint_writes AS w
           WHERE w.namespace = @namespace AND w.thread_id = j.value ->> 0 AND w.ns = j.value ->> 1
             AND w.checkpoint_id = j.value ->> 2`,
} as const;

/** Blobs per putBlobs statement: a put's new blobs go in ceil(n / BLOB_BATCH) statements. */
export const BLOB_BATCH = 8;

/**
 * An insert of `count` blobs of one (namespace, thread, ns), with positional parameters 7 per blob.
 * A blob is immutable: a version already stored keeps its first value.
 */
export function putBlobsSql(count: number): string {
  const rows = Array.from({ length: count }, () => "(?, ?, ?, ?, ?, ?, ?)").join(", ");
  return `INSERT INTO checkpoint_blobs (namespace, thread_id, ns, channel, version_type, version, value)
          VALUES ${rows}
          ON CONFLICT (namespace, thread_id, ns, channel, version_type, version) DO NOTHING`;
}

export type CheckpointStatements = { [K in keyof typeof CHECKPOINT_SQL]: Database.Statement };

/**
 * The listPage query for a shape of query. Each shape is a range read of one index, newest first,
 * that stops after @limit live rows: (thread, ns, id) is the primary key, (thread, id) and (id) are
 * the checkpoints_by_thread and checkpoints_by_id indexes.
 */
export function listPageSql(query: { threadId?: string; ns?: string; before?: string }): string {
  const where = ["namespace = @namespace"];
  if (query.threadId !== undefined) where.push("thread_id = @threadId");
  if (query.ns !== undefined) where.push("ns = @ns");
  if (query.before !== undefined) where.push("id < @before");
  where.push(LIVE);
  return `SELECT ${COLUMNS} FROM checkpoints WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT @limit`;
}
