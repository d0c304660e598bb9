import { ConfigError, CorruptDataError } from "@stowage/core";
import Database from "better-sqlite3";

/** Written to the file header (PRAGMA application_id) so a stowage database is told apart from any other: "STOW". */
export const APPLICATION_ID = 0x53544f57;

/**
 * Forward migrations: MIGRATIONS[i] takes the schema from version i to i + 1 (PRAGMA user_version).
 * Append only; never edit a released step.
 */
const MIGRATIONS: readonly string[] = [
  `
  -- Cache entries. A rowid table with the value last: WITHOUT ROWID keeps at most ~1 KB of a row
  -- in its b-tree page, so 10 KB values read and wrote at a third of the speed. No expiry index:
  -- each index is one more page written per set, so gc() scans in chunks instead.
  CREATE TABLE cache_entries (
    namespace   TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    expires_at  INTEGER,
    accessed_at INTEGER NOT NULL,
    value       BLOB    NOT NULL,
    UNIQUE (namespace, key)
  );
  -- Filled only once a store with a size limit has opened the file (see SIZE_LIMIT_SQL).
  CREATE TABLE cache_namespaces (
    namespace   TEXT    PRIMARY KEY,
    entries     INTEGER NOT NULL,
    value_bytes INTEGER NOT NULL,
    key_bytes   INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE lock_leases (
    namespace  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    token      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
  ) WITHOUT ROWID;
  -- The fencing counter has its own table so that removing a lease never resets it.
  CREATE TABLE lock_fencing (
    namespace  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    last_token INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
  ) WITHOUT ROWID;

  -- Processes waiting for a name, oldest first: a free name goes to the oldest live waiter, so that a
  -- holder that releases and asks again cannot starve pollers in other processes.
  CREATE TABLE lock_waiters (
    namespace TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    waiter    TEXT    NOT NULL,
    since     INTEGER NOT NULL,
    deadline  INTEGER NOT NULL,
    PRIMARY KEY (namespace, name, waiter)
  ) WITHOUT ROWID;

  CREATE TABLE checkpoints (
    namespace  TEXT    NOT NULL,
    thread_id  TEXT    NOT NULL,
    ns         TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    parent_id  TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    metadata   TEXT    NOT NULL,
    channels   TEXT    NOT NULL,
    payload    BLOB    NOT NULL,
    PRIMARY KEY (namespace, thread_id, ns, id)
  );
  -- list() reads these ranges newest first: per thread across its namespaces, and across all threads.
  CREATE INDEX checkpoints_by_thread ON checkpoints (namespace, thread_id, id);
  CREATE INDEX checkpoints_by_id ON checkpoints (namespace, id);

  CREATE TABLE checkpoint_blobs (
    namespace    TEXT NOT NULL,
    thread_id    TEXT NOT NULL,
    ns           TEXT NOT NULL,
    channel      TEXT NOT NULL,
    -- A version keeps its type: 1 and "1" are different versions.
    version_type TEXT NOT NULL,
    version      TEXT NOT NULL,
    value        BLOB NOT NULL,
    PRIMARY KEY (namespace, thread_id, ns, channel, version_type, version)
  );

  -- A rowid table: rowid order is the order writes arrived in, which get() returns.
  CREATE TABLE checkpoint_writes (
    namespace     TEXT    NOT NULL,
    thread_id     TEXT    NOT NULL,
    ns            TEXT    NOT NULL,
    checkpoint_id TEXT    NOT NULL,
    task_id       TEXT    NOT NULL,
    idx           INTEGER NOT NULL,
    channel       TEXT    NOT NULL,
    task_path     TEXT    NOT NULL,
    value         BLOB    NOT NULL,
    UNIQUE (namespace, thread_id, ns, checkpoint_id, task_id, idx)
  );
  `,
  `
  -- One row per lock name ever taken, kept for good: token is the name's fencing counter and the
  -- current (or last) lease's token, and expires_at is 0 once that lease is released. Acquire is
  -- then one upsert and release one update, each a single autocommit statement on one page.
  -- The old tables are dropped (not kept beside it) so that a process still running the old
  -- code fails on its next lock call instead of deleting a row and resetting the counter.
  CREATE TABLE lock_names (
    namespace  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    token      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
  ) WITHOUT ROWID;
  INSERT INTO lock_names (namespace, name, token, expires_at)
    SELECT namespace, name, last_token, 0 FROM lock_fencing;
  -- A held lease keeps its expiry; should its token ever lag the counter, the counter wins and the
  -- name stays held until that expiry (its holder can no longer release it early, which is safe).
  INSERT INTO lock_names (namespace, name, token, expires_at)
    SELECT namespace, name, token, expires_at FROM lock_leases WHERE true
    ON CONFLICT (namespace, name) DO UPDATE SET
      token = max(lock_names.token, excluded.token), expires_at = excluded.expires_at;
  DROP TABLE lock_leases;
  DROP TABLE lock_fencing;
  `,
];

/**
 * What a size limit needs, created by the first store with a limit that opens the file and kept from
 * then on: an index on recency for eviction, and per-namespace totals kept by triggers in every
 * writer's own transaction (so they stay exact with several processes writing), seeded from the
 * rows in the same transaction. Files never used with a limit do not pay for them on each set.
 */
const SIZE_LIMIT_SQL = `
  CREATE INDEX cache_entries_lru ON cache_entries (namespace, accessed_at);
  CREATE TRIGGER cache_entries_inserted AFTER INSERT ON cache_entries BEGIN
    INSERT INTO cache_namespaces (namespace, entries, value_bytes, key_bytes)
    VALUES (NEW.namespace, 1, length(NEW.value), length(CAST(NEW.key AS BLOB)))
    ON CONFLICT (namespace) DO UPDATE SET
      entries = entries + 1,
      value_bytes = value_bytes + excluded.value_bytes,
      key_bytes = key_bytes + excluded.key_bytes;
  END;
  CREATE TRIGGER cache_entries_updated AFTER UPDATE OF value ON cache_entries BEGIN
    UPDATE cache_namespaces SET value_bytes = value_bytes - length(OLD.value) + length(NEW.value)
    WHERE namespace = NEW.namespace;
  END;
  CREATE TRIGGER cache_entries_deleted AFTER DELETE ON cache_entries BEGIN
    UPDATE cache_namespaces SET
      entries = entries - 1,
      value_bytes = value_bytes - length(OLD.value),
      key_bytes = key_bytes - length(CAST(OLD.key AS BLOB))
    WHERE namespace = OLD.namespace;
  END;
  DELETE FROM cache_namespaces;
  INSERT INTO cache_namespaces (namespace, entries, value_bytes, key_bytes)
    SELECT namespace, count(*), sum(length(value)), sum(length(CAST(key AS BLOB)))
    FROM cache_entries GROUP BY namespace;
`;

const SIZE_LIMIT_MARK = "cache_entries_lru";

/** True once a store with a size limit has opened the file (recency and size totals are kept). */
export function sizeLimitsEnabled(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE name = ?").get(SIZE_LIMIT_MARK) !== undefined;
}

/** Creates the size-limit objects unless another process already has. */
export function enableSizeLimits(db: Database.Database): void {
  db.transaction(() => {
    if (!sizeLimitsEnabled(db)) db.exec(SIZE_LIMIT_SQL);
  }).immediate();
}

/** The schema version this package writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The schema objects of a file at `version`, as sqlite_schema lists them: "type name on table: sql". */
type SchemaObjects = Set<string>;

function schemaObjects(db: Database.Database): SchemaObjects {
  // SQLite's own tables (sqlite_stat1 after an ANALYZE, …) come and go; its autoindexes are part of the schema.
  const rows = db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE NOT (type = 'table' AND name LIKE 'sqlite%')")
    .all() as {
    type: string;
    name: string;
    tbl_name: string;
    sql: string | null;
  }[];
  return new Set(rows.map((row) => `${row.type} ${row.name} on ${row.tbl_name}: ${row.sql ?? ""}`));
}

const expectedSchemas = new Map<number, { plain: SchemaObjects; withSizeLimits: SchemaObjects }>();

/** What sqlite_schema holds after the migrations up to `version`, with and without the size-limit objects. */
function expectedSchema(version: number): { plain: SchemaObjects; withSizeLimits: SchemaObjects } {
  let expected = expectedSchemas.get(version);
  if (!expected) {
    // Built by running the same SQL on an empty in-memory database, so it never drifts from MIGRATIONS.
    const db = new Database(":memory:");
    try {
      for (let step = 0; step < version; step++) db.exec(MIGRATIONS[step] as string);
      const plain = schemaObjects(db);
      if (version > 0) db.exec(SIZE_LIMIT_SQL);
      expected = { plain, withSizeLimits: schemaObjects(db) };
    } finally {
      db.close();
    }
    expectedSchemas.set(version, expected);
  }
  return expected;
}

const sameSet = (a: SchemaObjects, b: SchemaObjects) => a.size === b.size && [...a].every((item) => b.has(item));

/** Refuses a stowage file whose schema is not the one its version names (damaged pages or a damaged version number). */
function assertSchema(db: Database.Database, path: string, version: number): void {
  const actual = schemaObjects(db);
  const expected = expectedSchema(version);
  if (sameSet(actual, expected.plain) || sameSet(actual, expected.withSizeLimits)) return;
  const unexpected = [...actual].filter((item) => !expected.withSizeLimits.has(item));
  const missing = [...expected.plain].filter((item) => !actual.has(item));
  const describe = (items: string[]) => items.map((item) => item.slice(0, item.indexOf(":"))).join(", ") || "none";
  throw new CorruptDataError(
    `${path} is damaged: its schema is not stowage schema version ${version} (missing: ${describe(missing)}; unexpected: ${describe(unexpected)})`,
  );
}

/**
 * Brings the file to SCHEMA_VERSION (tests pass an older `target` to build an old file): a fresh
 * file is stamped and created, an older stowage file is checked against the schema of its version
 * and migrated forward; a foreign database, a damaged one or one from a newer release is refused.
 * Runs in one write transaction so that processes opening the file together migrate it once.
 */
export function migrate(db: Database.Database, path: string, target: number = SCHEMA_VERSION): void {
  db.transaction(() => {
    const applicationId = db.pragma("application_id", { simple: true }) as number;
    const version = db.pragma("user_version", { simple: true }) as number;
    if (applicationId !== APPLICATION_ID) {
      const objects = db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number };
      if (applicationId !== 0 || objects.n > 0 || version !== 0) {
        throw new CorruptDataError(
          `${path} is an SQLite database of another application (application_id ${applicationId}, ${objects.n} schema objects), not a stowage store`,
        );
      }
      db.pragma(`application_id = ${APPLICATION_ID}`);
    }
    if (version > SCHEMA_VERSION) {
      throw new ConfigError(
        "url",
        `${path} has stowage schema version ${version}, newer than this @stowage/sqlite supports (${SCHEMA_VERSION}); upgrade the package`,
      );
    }
    assertSchema(db, path, version);
    for (let step = version; step < target; step++) db.exec(MIGRATIONS[step] as string);
    if (version < target) db.pragma(`user_version = ${target}`);
  }).immediate();
}
