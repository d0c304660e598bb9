import {
  type Backend,
  type BackendHealth,
  type CacheDriver,
  type CheckpointDriver,
  FifoWakeChannel,
  type LockDriver,
  monotonicNow,
  wallNow,
  wrapDriver,
} from "@stowage/core";
import { SqliteCacheDriver } from "./cache.js";
import { SqliteCheckpointDriver } from "./checkpoint.js";
import { SqliteLockDriver } from "./lock.js";
import type { SqliteOptions } from "./options.js";
import { SCHEMA_VERSION } from "./schema.js";
import { SqliteFile } from "./sqlite-file.js";

/** One SQLite database file; every namespace of every store lives in it, told apart by a column. */
export class SqliteBackend implements Backend {
  readonly kind = "sqlite";
  readonly #file: SqliteFile;
  readonly #maxSizeBytes: number | undefined;
  readonly #caches = new Map<string, SqliteCacheDriver>();
  readonly #locks = new Map<string, SqliteLockDriver>();
  readonly #checkpoints = new Map<string, SqliteCheckpointDriver>();
  /** Wakes the next waiter for a lock, in this process or another (a FIFO per open, in `<file>-wake/`). */
  readonly #wake: FifoWakeChannel;
  readonly #sweeper: NodeJS.Timeout | undefined;

  /** Opens (creating when missing) the database file; ConfigError, CorruptDataError or BackendUnavailableError otherwise. */
  constructor(options: SqliteOptions) {
    this.#file = SqliteFile.open(options);
    this.#wake = new FifoWakeChannel(`${this.#file.path}-wake`);
    this.#maxSizeBytes = options.maxSizeBytes;
    if (options.sweepEveryMs !== undefined) {
      this.#sweeper = setInterval(() => void this.gc().catch(() => {}), options.sweepEveryMs);
      this.#sweeper.unref();
    }
  }

  /** The database file. */
  get path(): string {
    return this.#file.path;
  }

  cache(namespace: string): CacheDriver {
    let driver = this.#caches.get(namespace);
    if (!driver) {
      driver = wrapDriver(new SqliteCacheDriver(this.#file, namespace, this.#maxSizeBytes), this.#file.edge);
      this.#caches.set(namespace, driver);
    }
    return driver;
  }

  lock(namespace: string): LockDriver {
    let driver = this.#locks.get(namespace);
    if (!driver) {
      // Lock statements never join the cache's shared transaction: each commits it first (sqlite-file.ts).
      driver = wrapDriver(new SqliteLockDriver(this.#file.committingFirst(), namespace, this.#wake), this.#file.edge);
      this.#locks.set(namespace, driver);
    }
    return driver;
  }

  checkpoint(namespace: string): CheckpointDriver {
    let driver = this.#checkpoints.get(namespace);
    if (!driver) {
      driver = wrapDriver(new SqliteCheckpointDriver(this.#file, namespace), this.#file.edge);
      this.#checkpoints.set(namespace, driver);
    }
    return driver;
  }

  /**
   * Removes expired cache entries and checkpoints of every namespace in the file; returns how many
   * records went. Also drops lock-queue places whose waiter's deadline has passed (a waiter that
   * timed out or died), which are bookkeeping rather than records and are not counted.
   */
  async gc(): Promise<number> {
    this.#file.commitNow();
    this.#file.use(() => this.#file.db.prepare("DELETE FROM lock_waiters WHERE deadline <= ?").run(wallNow()));
    const namespaces = this.#file.use(() => ({
      cache: namespacesIn(this.#file, "cache_entries"),
      checkpoint: namespacesIn(this.#file, "checkpoints"),
    }));
    let removed = 0;
    for (const namespace of namespaces.cache) removed += await this.cache(namespace).gc();
    for (const namespace of namespaces.checkpoint) removed += await this.checkpoint(namespace).gc();
    return removed;
  }

  async health(): Promise<BackendHealth> {
    const start = monotonicNow();
    try {
      const version = this.#file.use(
        () => this.#file.db.prepare("SELECT sqlite_version() AS version").get() as { version: string },
      ).version;
      return {
        ok: true,
        backend: this.kind,
        latencyMs: monotonicNow() - start,
        version: `sqlite ${version}`,
        details: {
          path: this.#file.path,
          journalMode: "wal",
          synchronous: this.#file.synchronous,
          schemaVersion: SCHEMA_VERSION,
          // Group commit at work: commits well below writes means concurrent writes shared them.
          ...this.#file.commitStats,
        },
      };
    } catch (error) {
      return {
        ok: false,
        backend: this.kind,
        latencyMs: monotonicNow() - start,
        error: (error as Error).message,
        details: { path: this.#file.path },
      };
    }
  }

  async close(): Promise<void> {
    if (this.#file.closed) return;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    for (const cache of this.#caches.values()) cache.touches.flushQuietly();
    this.#wake.close();
    this.#file.close();
  }
}

/** The namespaces a table holds, one index seek each rather than a scan of every row. */
function namespacesIn(file: SqliteFile, table: "cache_entries" | "checkpoints"): string[] {
  const next = file.db.prepare(`SELECT namespace FROM ${table} WHERE namespace > ? ORDER BY namespace LIMIT 1`).pluck();
  const found: string[] = [];
  for (let namespace = next.get("") as string | undefined; namespace !== undefined; ) {
    found.push(namespace);
    namespace = next.get(namespace) as string | undefined;
  }
  return found;
}
