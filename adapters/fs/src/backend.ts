import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import {
  assertKnownParams,
  type Backend,
  type BackendHealth,
  type BackendOpenOptions,
  type CacheDriver,
  type CheckpointDriver,
  ConfigError,
  type DriverEdge,
  ensurePrivateDir,
  FifoWakeChannel,
  type LockDriver,
  localPathFromUrl,
  monotonicNow,
  parseBoolean,
  parseDurability,
  parseDuration,
  wrapDriver,
} from "@stowage/core";
import { AtomicFiles } from "./atomic-file.js";
import { FsCacheDriver } from "./cache.js";
import { FsCheckpointDriver } from "./checkpoint.js";
import { toStowageError } from "./fs-errors.js";
import { KeyMutex } from "./key-mutex.js";
import { FsLockDriver } from "./lock.js";
import { type ReadCacheCounts, readCacheWorksOn } from "./read-cache.js";
import { assertStoreDirectory } from "./store-dir.js";

/** How often expired entries and crash leftovers are swept in the background unless told otherwise. */
export const DEFAULT_SWEEP_EVERY_MS = 10 * 60_000;

export interface FsBackendOptions {
  /** The store's directory (created 0700 when missing). */
  dir: string;
  /** fsync every file and its directory before a write returns: survives power loss, much slower. Default false. */
  fsync?: boolean;
  /** Cache size limit per namespace in bytes; least recently used entries go past it. */
  maxSizeBytes?: number;
  /** Background gc() period in ms; 0 turns it off. Default 10 minutes. */
  sweepEveryMs?: number;
  /**
   * Bytes of recently read cache values and checkpoints kept per namespace, each served only after
   * a stat shows its files unchanged (read-cache.ts); 0 turns it off. Default 8 MiB. Always off on
   * filesystems other than ext2/3/4, xfs, btrfs and tmpfs on Linux, and for the cache with maxSizeBytes.
   */
  readCacheBytes?: number;
}

/** Default read cache per namespace and kind (cache, checkpoints). */
export const DEFAULT_READ_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * Namespace directory names: upper-case letters become "_" + lower case ("_" itself "__"), so two
 * namespaces that differ only in case stay apart on case-insensitive filesystems.
 */
function namespaceDir(namespace: string): string {
  return namespace.replace(/[A-Z_]/g, (c) => (c === "_" ? "__" : `_${c.toLowerCase()}`));
}

/** Plain files in a directory tree: `<dir>/<namespace>/{cache,cache-mutex,locks,checkpoints}` and `<dir>/~tmp`. */
export class FsBackend implements Backend {
  readonly kind = "file";
  readonly dir: string;
  readonly #files: AtomicFiles;
  readonly #maxSizeBytes: number | undefined;
  readonly #readCacheBytes: number;
  /** Hits and stale finds of every read cache of this backend, for health(). */
  readonly #readCacheCounts: ReadCacheCounts = { hits: 0, stale: 0 };
  readonly #caches = new Map<string, CacheDriver>();
  readonly #locks = new Map<string, LockDriver>();
  readonly #checkpoints = new Map<string, CheckpointDriver>();
  readonly #sweeper: NodeJS.Timeout | undefined;
  /** Wakes the next waiter for a lock, in this process or another (a FIFO per open, in `<dir>/~wake/`). */
  readonly #wake: FifoWakeChannel;
  #closed = false;
  /** Every driver's methods go through it: ERR_CLOSED after close, filesystem errors as ERR_BACKEND_UNAVAILABLE. */
  readonly #edge: DriverEdge;

  constructor(options: FsBackendOptions) {
    this.dir = options.dir;
    this.#edge = {
      label: `file backend ${this.dir}`,
      isClosed: () => this.#closed,
      classify: (error) => toStowageError(error, this.dir),
    };
    ensurePrivateDir(this.dir);
    assertStoreDirectory(this.dir);
    try {
      this.#files = new AtomicFiles(join(this.dir, "~tmp"), options.fsync ?? false);
    } catch (error) {
      throw new ConfigError("url", `cannot create ${join(this.dir, "~tmp")}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.#maxSizeBytes = options.maxSizeBytes;
    const readCacheBytes = options.readCacheBytes ?? DEFAULT_READ_CACHE_BYTES;
    this.#readCacheBytes = readCacheBytes > 0 && readCacheWorksOn(this.dir) ? readCacheBytes : 0;
    this.#wake = new FifoWakeChannel(join(this.dir, "~wake"));
    const every = options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS;
    if (every > 0) {
      this.#sweeper = setInterval(() => void this.#sweep(), every);
      this.#sweeper.unref();
    }
  }

  async #sweep(): Promise<void> {
    for (const driver of [...this.#caches.values(), ...this.#checkpoints.values()]) {
      if (this.#closed) return;
      await driver.gc().catch(() => 0);
    }
  }

  cache(namespace: string): CacheDriver {
    let driver = this.#caches.get(namespace);
    if (!driver) {
      const base = join(this.dir, namespaceDir(namespace));
      const mutex = new KeyMutex(join(base, "cache-mutex"));
      driver = wrapDriver(
        new FsCacheDriver(
          join(base, "cache"),
          this.#files,
          mutex,
          this.#maxSizeBytes,
          this.#readCacheBytes,
          this.#readCacheCounts,
        ),
        this.#edge,
      );
      this.#caches.set(namespace, driver);
    }
    return driver;
  }

  lock(namespace: string): LockDriver {
    let driver = this.#locks.get(namespace);
    if (!driver) {
      const dir = join(this.dir, namespaceDir(namespace), "locks");
      driver = wrapDriver(new FsLockDriver(dir, this.#files.fsync, this.#wake), this.#edge);
      this.#locks.set(namespace, driver);
    }
    return driver;
  }

  checkpoint(namespace: string): CheckpointDriver {
    let driver = this.#checkpoints.get(namespace);
    if (!driver) {
      const dir = join(this.dir, namespaceDir(namespace), "checkpoints");
      driver = wrapDriver(
        new FsCheckpointDriver(dir, this.#files, this.#readCacheBytes, this.#readCacheCounts),
        this.#edge,
      );
      this.#checkpoints.set(namespace, driver);
    }
    return driver;
  }

  async health(): Promise<BackendHealth> {
    const start = monotonicNow();
    const details = {
      dir: this.dir,
      fsync: this.#files.fsync,
      maxSizeBytes: this.#maxSizeBytes ?? null,
      readCacheBytes: this.#readCacheBytes,
      readCacheHits: this.#readCacheCounts.hits,
      readCacheStale: this.#readCacheCounts.stale,
    };
    if (this.#closed) return { ok: false, backend: this.kind, latencyMs: 0, error: "closed", details };
    try {
      accessSync(this.dir, constants.R_OK | constants.W_OK | constants.X_OK);
      return { ok: true, backend: this.kind, latencyMs: monotonicNow() - start, version: process.version, details };
    } catch (error) {
      const message = (error as Error).message;
      return { ok: false, backend: this.kind, latencyMs: monotonicNow() - start, error: message, details };
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#wake.close();
  }
}

const PARAMS = ["durability", "fsync", "sweepEveryMs", "readCacheBytes"] as const;

function readCacheOption(raw: unknown): number {
  const bytes = raw === "off" ? 0 : typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 0) {
    throw new ConfigError("readCacheBytes", "must be a number of bytes (0 or off: no read cache)");
  }
  return bytes;
}

function sweepOption(raw: unknown, field: string): number {
  if (raw === 0 || raw === "0" || raw === "off") return 0;
  if (typeof raw !== "string" && typeof raw !== "number") throw new ConfigError(field, "must be milliseconds or off");
  return parseDuration(raw, field);
}

/** Opens `file:///abs/dir` (or `file:relative/dir`); parameters durability=process|full (or fsync=false|true) and sweepEveryMs=<ms>|off. */
export function openFsBackend(options: BackendOpenOptions): FsBackend {
  assertKnownParams(options.params, PARAMS, "file");
  const dir = localPathFromUrl(options.url);
  const fsyncRaw = options.options.fsync ?? options.params.get("fsync") ?? undefined;
  if (fsyncRaw !== undefined && typeof fsyncRaw !== "string" && typeof fsyncRaw !== "boolean") {
    throw new ConfigError("fsync", "must be true or false");
  }
  const durability = parseDurability(options.options.durability ?? options.params.get("durability") ?? undefined);
  if (durability !== undefined && fsyncRaw !== undefined) {
    throw new ConfigError("fsync", "give durability or fsync, not both (fsync=true is durability=full)");
  }
  const sweepRaw = options.options.sweepEveryMs ?? options.params.get("sweepEveryMs") ?? undefined;
  const readCacheRaw = options.options.readCacheBytes ?? options.params.get("readCacheBytes") ?? undefined;
  return new FsBackend({
    dir,
    ...(fsyncRaw !== undefined ? { fsync: parseBoolean(fsyncRaw, "fsync") } : {}),
    ...(durability !== undefined ? { fsync: durability === "full" } : {}),
    ...(sweepRaw !== undefined ? { sweepEveryMs: sweepOption(sweepRaw, "sweepEveryMs") } : {}),
    ...(options.maxSizeBytes !== undefined ? { maxSizeBytes: options.maxSizeBytes } : {}),
    ...(readCacheRaw !== undefined ? { readCacheBytes: readCacheOption(readCacheRaw) } : {}),
  });
}
