import { accessSync, closeSync, constants, openSync, statSync } from "node:fs";
import { ClosedError, ConfigError, ensurePrivateParent, PRIVATE_FILE_MODE } from "@stowage/core";
import Database from "better-sqlite3";
import { DEFAULT_BUSY_TIMEOUT_MS, type SqliteOptions } from "./options.js";
import { enableSizeLimits, migrate, sizeLimitsEnabled } from "./schema.js";
import { translateSqliteError } from "./sqlite-errors.js";

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

  private constructor(path: string, db: Database.Database, synchronous: "normal" | "full") {
    this.path = path;
    this.db = db;
    this.synchronous = synchronous;
    this.#transaction = db.transaction((body: () => unknown) => body());
  }

  /** Opens (creating owner-only when missing), sets WAL and the pragmas, and migrates the schema. */
  static open(options: SqliteOptions): SqliteFile {
    const { path } = options;
    ensurePrivateParent(path, "url");
    createPrivateFile(path);
    let db: Database.Database | undefined;
    try {
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

  /** Runs `body` on the open connection, turning SQLite failures into StowageErrors. */
  use<T>(body: () => T): T {
    if (this.#closed) throw new ClosedError(`sqlite database ${this.path}`);
    try {
      return body();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }

  /** Runs `body` in a write transaction taken up front (BEGIN IMMEDIATE), so it never has to upgrade a read lock. */
  write<T>(body: () => T): T {
    return this.use(() => this.#transaction.immediate(body) as T);
  }

  /** Runs `body` in one read transaction, so that its several reads see one snapshot. */
  read<T>(body: () => T): T {
    return this.use(() => this.#transaction.deferred(body) as T);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.db.close();
  }
}

/** Creates the database file owner-only before SQLite does (its -wal and -shm files copy this mode). */
function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR, PRIVATE_FILE_MODE));
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new ConfigError("url", `cannot create database file ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (!statSync(path).isFile()) throw new ConfigError("url", `${path} exists and is not a file`);
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw new ConfigError("url", `database file ${path} is not readable and writable by this process`, {
      cause: error,
    });
  }
}
