import {
  assertKnownParams,
  type Backend,
  type BackendHealth,
  type BackendOpenOptions,
  type CacheDriver,
  type CheckpointDriver,
  type DriverEdge,
  type LockDriver,
  monotonicNow,
  wrapDriver,
} from "@stowage/core";
import { MemoryCacheDriver } from "./cache.js";
import { MemoryCheckpointDriver } from "./checkpoint.js";
import { MemoryLockDriver } from "./lock.js";

/** An in-process backend: everything lives in this process's heap and is gone when it exits. */
export class MemoryBackend implements Backend {
  readonly kind = "memory";
  readonly #maxSizeBytes: number | undefined;
  readonly #caches = new Map<string, MemoryCacheDriver>();
  readonly #locks = new Map<string, MemoryLockDriver>();
  readonly #checkpoints = new Map<string, MemoryCheckpointDriver>();
  #closed = false;
  /** Every driver's methods go through it: ERR_CLOSED after close(); nothing to classify, a memory driver throws only StowageErrors. */
  readonly #edge: DriverEdge = { label: "memory backend", isClosed: () => this.#closed };

  constructor(options: { maxSizeBytes?: number } = {}) {
    this.#maxSizeBytes = options.maxSizeBytes;
  }

  cache(namespace: string): CacheDriver {
    let driver = this.#caches.get(namespace);
    if (!driver) {
      driver = wrapDriver(new MemoryCacheDriver(this.#maxSizeBytes), this.#edge);
      this.#caches.set(namespace, driver);
    }
    return driver;
  }

  lock(namespace: string): LockDriver {
    let driver = this.#locks.get(namespace);
    if (!driver) {
      driver = wrapDriver(new MemoryLockDriver(), this.#edge);
      this.#locks.set(namespace, driver);
    }
    return driver;
  }

  checkpoint(namespace: string): CheckpointDriver {
    let driver = this.#checkpoints.get(namespace);
    if (!driver) {
      driver = wrapDriver(new MemoryCheckpointDriver(), this.#edge);
      this.#checkpoints.set(namespace, driver);
    }
    return driver;
  }

  async health(): Promise<BackendHealth> {
    const start = monotonicNow();
    return {
      ok: !this.#closed,
      backend: this.kind,
      latencyMs: monotonicNow() - start,
      version: process.version,
      ...(this.#closed ? { error: "closed" } : {}),
      details: { namespaces: this.#caches.size },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** Named in-process backends (`memory://name`) are shared by every store of this process that names them. */
const named = new Map<string, MemoryBackend>();

/** Opens `memory://` (a fresh backend) or `memory://name` (shared within the process until closed by all). */
export function openMemoryBackend(options: BackendOpenOptions): Backend {
  assertKnownParams(options.params, [], "memory");
  const name = options.url.hostname;
  if (!name)
    return new MemoryBackend({ ...(options.maxSizeBytes !== undefined ? { maxSizeBytes: options.maxSizeBytes } : {}) });
  let backend = named.get(name);
  if (!backend) {
    backend = new MemoryBackend({
      ...(options.maxSizeBytes !== undefined ? { maxSizeBytes: options.maxSizeBytes } : {}),
    });
    named.set(name, backend);
  }
  const shared = backend;
  // Each opener gets a view whose close forgets the shared backend only for the last opener.
  return sharedView(shared, name);
}

const openers = new Map<string, number>();

function sharedView(backend: MemoryBackend, name: string): Backend {
  openers.set(name, (openers.get(name) ?? 0) + 1);
  let closed = false;
  return {
    kind: backend.kind,
    cache: (ns) => backend.cache(ns),
    lock: (ns) => backend.lock(ns),
    checkpoint: (ns) => backend.checkpoint(ns),
    health: () => backend.health(),
    async close() {
      if (closed) return;
      closed = true;
      const left = (openers.get(name) ?? 1) - 1;
      openers.set(name, left);
      if (left === 0) {
        openers.delete(name);
        named.delete(name);
        await backend.close();
      }
    },
  };
}
