import { accessSync, closeSync, constants, linkSync, openSync, rmSync, statSync } from "node:fs";
import { ConfigError, type DriverEdge, ensurePrivateParent, PRIVATE_FILE_MODE } from "@stowage/core";
import Database from "better-sqlite3";
import { CommitBatch } from "./commit-batch.js";
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
  /** Concurrent writes of this process sharing one transaction (src/commit-batch.ts). */
  readonly #batch: CommitBatch;

  private constructor(path: string, db: Database.Database, synchronous: "normal" | "full") {
    this.path = path;
    this.db = db;
    this.synchronous = synchronous;
    this.#transaction = db.transaction((body: () => unknown) => body());
    this.#batch = new CommitBatch(db, path);
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
      // NORMAL is core's "process" level: WAL commits are synced only at checkpoints (README "Durability").
      const synchronous = options.synchronous ?? (options.durability === "full" ? "full" : "normal");
      db.pragma(`synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
      migrate(db, path);
      if (options.maxSizeBytes !== undefined) enableSizeLimits(db);
      return new SqliteFile(path, db, synchronous);
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
    this.#batch.commitOthers();
    return this.#transaction.immediate(body) as T;
  }

  /**
   * Runs the write `body` now and resolves once it is committed. A lone write is one transaction of
   * its own, committed before this returns; writes that arrive while another is in flight share one
   * transaction, committed at the end of the event-loop turn (src/commit-batch.ts).
   */
  commitLater<T>(body: () => T): Promise<T> {
    return this.#batch.run(body);
  }

  /** Commits this connection made and writes they acknowledged, since open (health() details). */
  get commitStats(): { commits: number; writes: number } {
    return { ...this.#batch.stats };
  }

  /** Commits the shared transaction, if one is open: before work whose result must be committed when it returns. */
  commitNow(): void {
    this.#batch.commitFile();
  }

  /**
   * This file as the lock driver sees it: every statement first commits the file's open shared transaction (any connection's in this process),
   * so a lock operation is never inside it and a grant is committed before the acquire resolves.
   */
  committingFirst(): SqliteFile {
    const batch = this.#batch;
    const committing = <T>(body: () => T): T => {
      batch.commitFile();
      return body();
    };
    const view = Object.create(this) as SqliteFile;
    Object.defineProperty(view, "db", { value: committingDatabase(this.db, batch) });
    Object.defineProperty(view, "write", { value: <T>(body: () => T) => committing(() => this.write(body)) });
    Object.defineProperty(view, "read", { value: <T>(body: () => T) => committing(() => this.read(body)) });
    // Everything else runs on this file itself (its private fields are not the view's).
    for (const name of Object.getOwnPropertyNames(SqliteFile.prototype)) {
      if (name === "constructor" || Object.hasOwn(view, name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(SqliteFile.prototype, name) as PropertyDescriptor;
      if (typeof descriptor.value === "function") {
        const method = descriptor.value as (...args: unknown[]) => unknown;
        Object.defineProperty(view, name, { value: (...args: unknown[]) => method.apply(this, args) });
      } else if (descriptor.get) {
        const get = descriptor.get;
        Object.defineProperty(view, name, { get: () => get.call(this) });
      }
    }
    return view;
  }

  /** Runs `body` in one read transaction, so that its several reads see one snapshot. */
  read<T>(body: () => T): T {
    return this.#transaction.deferred(body) as T;
  }

  /** Commits the shared transaction (its writes resolve or reject as usual), then closes. */
  close(): void {
    if (this.#closed) return;
    this.#batch.commit();
    this.#closed = true;
    this.#lockDb?.close();
    this.db.close();
  }

  #lockDb: Database.Database | undefined;

  /** The connection's busy_timeout (ms): how long a write waits for another connection's. */
  get busyTimeoutMs(): number {
    return Number(this.db.pragma("busy_timeout", { simple: true }));
  }

  /**
   * A second connection to this file for lock statements, with busy_timeout 0: the lock driver
   * retries a write that finds another writer itself, a turn of the event loop later, where
   * SQLite's busy handler sleeps 1, 2, 5 … ms — on a lock hand-off between processes, where the
   * releaser's next write and the woken waiter's acquire often meet, that sleep was the gap.
   * Separate from the cache's connection, so a lock statement never joins its group commit.
   */
  lockDatabase(): Database.Database {
    if (this.#lockDb === undefined) {
      const db = new Database(this.path, { fileMustExist: true });
      try {
        db.pragma("busy_timeout = 0");
        db.pragma(`synchronous = ${this.synchronous === "full" ? "FULL" : "NORMAL"}`);
      } catch (error) {
        db.close();
        throw error;
      }
      this.#lockDb = db;
    }
    return this.#lockDb;
  }
}

const STATEMENT_RUNS = new Set<string | symbol>(["run", "get", "all", "iterate"]);

/** `db` whose statements (and pragmas, execs) first commit the shared transaction `batch`. */
function committingDatabase(db: Database.Database, batch: CommitBatch): Database.Database {
  const statement = (target: Database.Statement): Database.Statement => {
    const proxy: Database.Statement = new Proxy(target, {
      get(stmt, name) {
        const member = Reflect.get(stmt, name, stmt) as unknown;
        if (typeof member !== "function") return member;
        const method = member as (...args: unknown[]) => unknown;
        if (STATEMENT_RUNS.has(name)) {
          return (...args: unknown[]) => {
            batch.commitFile();
            return method.apply(stmt, args);
          };
        }
        // pluck(), raw(), safeIntegers()… return the statement itself: keep handing out the proxy.
        return (...args: unknown[]) => {
          const result = method.apply(stmt, args);
          return result === stmt ? proxy : result;
        };
      },
    });
    return proxy;
  };
  return new Proxy(db, {
    get(database, name) {
      const member = Reflect.get(database, name, database) as unknown;
      if (typeof member !== "function") return member;
      const method = member as (...args: unknown[]) => unknown;
      if (name === "prepare")
        return (...args: unknown[]) => statement(method.apply(database, args) as Database.Statement);
      return (...args: unknown[]) => {
        batch.commitFile();
        return method.apply(database, args);
      };
    },
  });
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
