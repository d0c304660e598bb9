import { join } from "node:path";
import {
  type Backend,
  type BackendHealth,
  type CacheDriver,
  type CheckpointDriver,
  ConfigError,
  type DriverEdge,
  FifoWakeChannel,
  type LockDriver,
  monotonicNow,
  wrapDriver,
} from "@stowage/core";
import * as lmdb from "lmdb";

const lmdbVersion = (lmdb as unknown as { version: { versionString: string } }).version;

import { LmdbCacheDriver } from "./cache.js";
import { LmdbCheckpointDriver } from "./checkpoint.js";
import { type LmdbDatabases, openEnvironment } from "./environment.js";
import { toStowageError, toStowageWriteError } from "./errors.js";
import { encodeTuple } from "./keys/tuple.js";
import { LmdbLockDriver } from "./lock.js";
import type { LmdbOptions } from "./options.js";
import { untrackReadTxn } from "./read-txn.js";
import { WriteWait } from "./write-wait.js";
import { waitForWriterMutex } from "./writer-mutex.js";

/**
 * One environment per directory per process: LMDB forbids opening the same environment twice
 * in one process (closing either would drop the other's file locks), so openers share it.
 */
const environments = new Map<
  string,
  { dbs: LmdbDatabases; options: LmdbOptions; users: number; wake: FifoWakeChannel }
>();

function acquireEnvironment(dir: string, options: LmdbOptions) {
  let shared = environments.get(dir);
  if (!shared) {
    // One wake channel per environment per process (a FIFO in <dir>/wake/): a lock release wakes the next waiter.
    const wake = new FifoWakeChannel(join(dir, "wake"));
    shared = { dbs: openEnvironment(dir, options), options, users: 0, wake };
    environments.set(dir, shared);
  } else if (shared.options.sync !== options.sync) {
    throw new ConfigError(
      "sync",
      `${dir} is already open in this process with sync=${shared.options.sync}; one environment has one sync mode`,
    );
  }
  shared.users++;
  return shared;
}

/**
 * Opens a backend without blocking the event loop on another process's write transaction: the
 * first opener in this process waits (bounded by the store's timeout) for LMDB's writer mutex.
 */
export async function openLmdbBackend(dir: string, options: LmdbOptions, maxSizeBytes?: number): Promise<LmdbBackend> {
  if (!environments.has(dir)) await waitForWriterMutex(dir, options.timeoutMs);
  return new LmdbBackend(dir, options, maxSizeBytes);
}

async function releaseEnvironment(dir: string): Promise<void> {
  const shared = environments.get(dir);
  if (!shared) return;
  shared.users--;
  if (shared.users > 0) return;
  environments.delete(dir);
  shared.wake.close();
  untrackReadTxn(dir);
  await shared.dbs.root.close();
}

/** An LMDB environment in a directory; drivers per namespace, and a sweeper of expired entries. */
export class LmdbBackend implements Backend {
  readonly kind = "lmdb";
  readonly dir: string;
  readonly options: LmdbOptions;
  readonly #maxSizeBytes: number | undefined;
  readonly #dbs: LmdbDatabases;
  readonly #wake: FifoWakeChannel;
  readonly #writes: WriteWait;
  readonly #caches = new Map<string, LmdbCacheDriver>();
  readonly #locks = new Map<string, LmdbLockDriver>();
  readonly #checkpoints = new Map<string, LmdbCheckpointDriver>();
  readonly #sweeper: NodeJS.Timeout;
  #sweeping: Promise<void> | undefined;
  #closed = false;
  /** Every driver's methods go through it: ERR_CLOSED after close, lmdb's failures as StowageErrors. */
  readonly #edge: DriverEdge;

  constructor(dir: string, options: LmdbOptions, maxSizeBytes?: number) {
    this.dir = dir;
    this.#edge = {
      label: `lmdb backend at ${dir}`,
      isClosed: () => this.#closed,
      classify: (error) => toStowageError(error, this.#writes.where),
      settle: (error) => toStowageWriteError(error, this.#writes.where),
    };
    this.options = options;
    this.#maxSizeBytes = maxSizeBytes;
    const shared = acquireEnvironment(dir, options);
    this.#dbs = shared.dbs;
    this.#writes = new WriteWait(shared.dbs.root, options.timeoutMs, dir);
    this.#wake = shared.wake;
    this.#sweeper = setInterval(() => {
      this.#sweeping ??= this.sweep()
        .then(() => {})
        .catch(() => {})
        .finally(() => {
          this.#sweeping = undefined;
        });
    }, options.sweepEveryMs).unref();
  }

  cache(namespace: string): CacheDriver {
    let driver = this.#caches.get(namespace);
    if (!driver) {
      driver = wrapDriver(new LmdbCacheDriver(this.#dbs, namespace, this.#maxSizeBytes, this.#writes), this.#edge);
      this.#caches.set(namespace, driver);
    }
    return driver;
  }

  lock(namespace: string): LockDriver {
    let driver = this.#locks.get(namespace);
    if (!driver) {
      driver = wrapDriver(new LmdbLockDriver(this.#dbs, namespace, this.#writes, this.#wake), this.#edge);
      this.#locks.set(namespace, driver);
    }
    return driver;
  }

  checkpoint(namespace: string): CheckpointDriver {
    let driver = this.#checkpoints.get(namespace);
    if (!driver) {
      driver = wrapDriver(new LmdbCheckpointDriver(this.#dbs, namespace, this.#writes), this.#edge);
      this.#checkpoints.set(namespace, driver);
    }
    return driver;
  }

  /** Removes expired cache entries and checkpoints of every namespace this backend opened; returns how many. */
  async sweep(): Promise<number> {
    // Frees reader slots of processes that died holding a read transaction, so their old snapshot stops pinning pages.
    (this.#dbs.root as unknown as { readerCheck(): number }).readerCheck();
    let removed = 0;
    for (const driver of [...this.#caches.values(), ...this.#checkpoints.values()]) {
      if (this.#closed) break;
      removed += await driver.gc();
    }
    return removed;
  }

  async health(): Promise<BackendHealth> {
    const start = monotonicNow();
    const base = { backend: this.kind, version: lmdbVersion.versionString };
    if (this.#closed) return { ...base, ok: false, latencyMs: 0, error: "closed" };
    try {
      this.#dbs.cache.getBinary(encodeTuple(["health"]));
      const stat = (this.#dbs.root as unknown as { getStats(): { mapSize: number; pageSize: number } }).getStats();
      return {
        ...base,
        ok: true,
        latencyMs: monotonicNow() - start,
        details: { path: this.dir, sync: this.options.sync, mapSize: stat.mapSize, pageSize: stat.pageSize },
      };
    } catch (error) {
      return { ...base, ok: false, latencyMs: monotonicNow() - start, error: toStowageError(error, this.dir).message };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#sweeper);
    await this.#sweeping;
    await Promise.allSettled([...this.#caches.values()].map((driver) => driver.flushReads()));
    this.#closed = true;
    await releaseEnvironment(this.dir);
  }
}
