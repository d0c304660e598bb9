import { accessSync, closeSync, constants, linkSync, openSync, rmSync, statSync } from "node:fs";
import { ConfigError, type DriverEdge, ensurePrivateParent, PRIVATE_FILE_MODE } from "@stowage/core";
import Database from "better-sqlite3";
import { assertStowageDatabase } from "./database-header.js";
import { DEFAULT_BUSY_TIMEOUT_MS, type SqliteOptions } from "./options.js";
import { enableSizeLimits, migrate, sizeLimitsEnabled } from "./schema.js";
import { classifySqliteError, translateSqliteError } from "./sqlite-errors.js";

const SIZE_LIMIT_RECHECK_MS = 1_000;

/** One open database file: the connection, its closed state, and the two ways drivers run SQL on it. */
export class SqliteFile {
  readonly path: string;
  readonly db: Database.Database;
  readonly synchronous: "normal" | "full";
  #closed = false;
  #sizeLimits = false;
  #sizeLimitsCheckedAt = Number.NEGATIVE_INFINITY;
  readonly #transaction: Database.Transaction<(body: () => unknown) => unknown>;
  /** The edge every driver on this file is wrapped in: ERR_CLOSED after close, SQLite errors as StowageErrors. */
  readonly edge: DriverEdge;

  private constructor(path: string, db: Database.Database, synchronous: "normal" | "full") {
    this.path = path;
    this.db = db;
    this.synchronous = synchronous;
    this.#transaction = db.transaction((body: () => unknown) => body());
    this.edge = {
      label: `sqlite database ${path}`,
      isClosed: () => this.#closed,
      classify: (error, method) => classifySqliteError(error, path, method),
    };
  }

  /**
   * Opens the file, creating it (owner-only, whole) when missing; refuses one that is not a
   * stowage database before opening it for writing; then sets WAL and the pragmas and migrates
   * the schema.
   */
  static open(options: SqliteOptions): SqliteFile {
    const { path } = options;
    ensurePrivateParent(path, "url");
    let db: Database.Database | undefined;
    try {
      if (!existingFile(path)) createDatabase(path, options);
      assertStowageDatabase(path);
      db = new Database(path, { fileMustExist: true });
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
      // WAL: readers never block the writer, and a commit is one append to the log.
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
      migrate(db, path);
      if (options.maxSizeBytes !== undefined) enableSizeLimits(db);
      return new SqliteFile(path, db, options.synchronous ?? "normal");
    } catch (error) {
      db?.close();
      throw translateSqliteError(error, path);
    }
  }

  /**
   * True once any store with a size limit has opened this file, in any process: only then do reads
   * keep recency. Rechecked at most once a second, so another process's new limit is seen within one.
   */
  sizeLimitsOn(now: number): boolean {
    if (this.#sizeLimits || now - this.#sizeLimitsCheckedAt < SIZE_LIMIT_RECHECK_MS) return this.#sizeLimits;
    this.#sizeLimitsCheckedAt = now;
    this.#sizeLimits = sizeLimitsEnabled(this.db);
    return this.#sizeLimits;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `body`, turning SQLite failures into StowageErrors: for work outside a driver method (statements prepared at construction, health). */
  use<T>(body: () => T): T {
    try {
      return body();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }

  /** Runs `body` in a write transaction taken up front (BEGIN IMMEDIATE), so it never has to upgrade a read lock. */
  write<T>(body: () => T): T {
    return this.#transaction.immediate(body) as T;
  }

  /** Runs `body` in one read transaction, so that its several reads see one snapshot. */
  read<T>(body: () => T): T {
    return this.#transaction.deferred(body) as T;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.db.close();
  }
}

/** Whether `path` exists: a file this process may read and write (ConfigError for anything else there). */
function existingFile(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return false;
  if (!stat.isFile()) throw new ConfigError("url", `${path} exists and is not a file`);
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw new ConfigError("url", `database file ${path} is not readable and writable by this process`, {
      cause: error,
    });
  }
  return true;
}

let creating = 0;

/**
 * Creates a new database whole: stamped, migrated and in WAL mode under a temporary name, then
 * linked into place (which fails when another process got there first, whose file then wins). So
 * a stowage database is never seen empty or half made, and a file without the stamp is never ours.
 */
function createDatabase(path: string, options: SqliteOptions): void {
  const temp = `${path}.new-${process.pid}-${++creating}`;
  try {
    closeSync(openSync(temp, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR, PRIVATE_FILE_MODE));
  } catch (error) {
    throw new ConfigError("url", `cannot create database file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    // Its -journal and -wal copy the temporary file's owner-only mode, and go with it on close.
    const db = new Database(temp, { fileMustExist: true });
    try {
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
      migrate(db, temp);
      db.pragma("journal_mode = WAL");
    } finally {
      db.close();
    }
    try {
      linkSync(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new ConfigError("url", `cannot create database file ${path}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
  } finally {
    rmSync(temp, { force: true });
  }
}
