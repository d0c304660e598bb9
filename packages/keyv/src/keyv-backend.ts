import {
  assertKnownParams,
  type Backend,
  type BackendHealth,
  type BackendOpenOptions,
  BackendUnavailableError,
  type CacheDriver,
  type CheckpointDriver,
  ConfigError,
  type DriverEdge,
  type LockDriver,
  monotonicNow,
  wrapDriver,
} from "@stowage/core";
import Keyv, { type KeyvStoreAdapter } from "keyv";
import { KeyvCacheDriver } from "./keyv-cache-driver.js";

/** A Keyv store (e.g. `new KeyvSqlite(…)`, `new KeyvPostgres(…)`) or a Map. */
export type KeyvStoreLike = KeyvStoreAdapter | Map<unknown, unknown>;

const PROBE_KEY = "stowage:health:probe";

/**
 * A stowage backend whose cache lives in any Keyv store. Only the cache: a Keyv store has no
 * conditional write, so it can hold neither a lock (mutual exclusion, fencing counters) nor
 * checkpoints (atomic put of a checkpoint with its blobs, ordered listing); those stores refuse
 * every call with a ConfigError that says to give them another URL.
 */
export class KeyvBackend implements Backend {
  readonly kind = "keyv";
  readonly keyv: Keyv;
  readonly #drivers = new Map<string, CacheDriver>();
  readonly #closeStore: boolean;
  #closed = false;
  /** Every cache driver's methods go through it: ERR_CLOSED after close(), a Keyv store's failure as ERR_BACKEND_UNAVAILABLE. */
  readonly #edge: DriverEdge = {
    label: "keyv backend",
    isClosed: () => this.#closed,
    classify: (error, method) =>
      new BackendUnavailableError(`keyv ${method} failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      }),
  };

  /** `closeStore`: disconnect the Keyv store on close (default false: whoever made the store closes it). */
  constructor(store: KeyvStoreLike, options: { closeStore?: boolean } = {}) {
    this.keyv = keyvFor(store);
    this.#closeStore = options.closeStore ?? false;
  }

  cache(namespace: string): CacheDriver {
    let driver = this.#drivers.get(namespace);
    if (!driver) {
      driver = wrapDriver(new KeyvCacheDriver(this.keyv, namespace), this.#edge);
      this.#drivers.set(namespace, driver);
    }
    return driver;
  }

  lock(): LockDriver {
    return refusing<LockDriver>(["tryAcquire", "extend", "release", "inspect"], "lock", "hold locks");
  }

  checkpoint(): CheckpointDriver {
    return refusing<CheckpointDriver>(
      ["put", "get", "listPage", "putWrites", "deleteThread", "prune", "countThread", "gc", "size"],
      "checkpoint",
      "keep checkpoints",
    );
  }

  async health(): Promise<BackendHealth> {
    const start = monotonicNow();
    try {
      if (this.#closed) throw new Error("closed");
      await this.keyv.get(PROBE_KEY);
      return { ok: true, backend: this.kind, latencyMs: monotonicNow() - start, details: { store: storeName(this) } };
    } catch (error) {
      return {
        ok: false,
        backend: this.kind,
        latencyMs: monotonicNow() - start,
        error: (error as Error)?.message ?? String(error),
      };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#closeStore) await this.keyv.disconnect();
  }
}

/** One Keyv per store: Keyv adds an error listener to the store and sets its namespace on each wrap. */
const keyvs = new WeakMap<object, Keyv>();

function keyvFor(store: KeyvStoreLike): Keyv {
  let keyv = keyvs.get(store);
  if (!keyv) {
    // No Keyv namespace and no key prefix: the driver prefixes keys itself, per stowage namespace.
    keyv = new Keyv({ store, namespace: undefined, useKeyPrefix: false, throwOnErrors: true });
    keyvs.set(store, keyv);
  }
  return keyv;
}

function storeName(backend: KeyvBackend): string {
  const store = backend.keyv.store as object;
  return store instanceof Map ? "Map" : (store.constructor?.name ?? "unknown");
}

/** A driver whose every method rejects: Keyv has no atomic primitive to build it on. */
function refusing<T>(methods: readonly (keyof T & string)[], kind: string, what: string): T {
  const driver: Record<string, () => Promise<never>> = {};
  for (const method of methods) {
    driver[method] = async () => {
      throw new ConfigError(
        `${kind}.url`,
        `a keyv: backend cannot ${what} (Keyv has no atomic conditional write); give ${kind} its own sqlite:, lmdb:, file:, redis: or memory: URL`,
      );
    };
  }
  return driver as unknown as T;
}

/** Keyv stores opened by `keyv://name` URLs. */
const namedStores = new Map<string, KeyvStoreLike>();

/** Makes `keyv://name` open a backend on this Keyv store (e.g. `createStorage({ cache: "keyv://main", … })`). */
export function registerKeyvStore(name: string, store: KeyvStoreLike): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new ConfigError(
      "name",
      `a keyv store name is a URL host: lowercase letters, digits and "-", got ${JSON.stringify(name)}`,
    );
  }
  namedStores.set(name, store);
}

/** Forgets a name given to registerKeyvStore. */
export function unregisterKeyvStore(name: string): boolean {
  return namedStores.delete(name);
}

/** Opens `keyv://name` for createStorage. */
export function openKeyvBackend(options: BackendOpenOptions): Backend {
  assertKnownParams(options.params, [], "keyv");
  const name = options.url.hostname;
  const store = namedStores.get(name);
  if (!store) {
    const known = [...namedStores.keys()].map((n) => `keyv://${n}`).join(", ") || "none";
    throw new ConfigError(
      "url",
      `no Keyv store is registered as "${name}" (registerKeyvStore(name, store) first; registered: ${known})`,
    );
  }
  if (options.maxSizeBytes !== undefined) {
    throw new ConfigError("maxSize", "a keyv: backend cannot bound its size; the Keyv store decides what it keeps");
  }
  return new KeyvBackend(store);
}
