import { EventEmitter } from "node:events";
import type { Cache } from "@stowage/core";

/** Options of a Keyv store over a stowage cache. */
export interface StowageKeyvStoreOptions {
  /** Runs when Keyv disconnects (closes the storage when the store opened it from a URL). */
  onDisconnect?: () => Promise<void>;
  /** The URL the cache was opened from, shown in `opts.url`. */
  url?: string;
}

/** How many keys `clear()` deletes per call to the cache. */
const CLEAR_BATCH = 500;

/**
 * A Keyv 5 store adapter (the contract of `new Keyv({ store })`, cache-manager 7 and cacheable)
 * over any stowage cache. Keyv keeps its own namespace as a key prefix (`ns:key`), so `clear()`
 * and `iterator()` act on that prefix only and several Keyv namespaces can share one cache.
 */
export class StowageKeyvStore extends EventEmitter {
  /**
   * Keyv 5 wires `keyv.iterator()` only for stores whose `opts.dialect` is in its hard-coded list;
   * every stowage cache can list keys by prefix, so the store claims the SQL dialect Keyv knows.
   */
  readonly opts: { dialect: string; url: string; [option: string]: unknown };
  /** Set by Keyv to its namespace; keys arrive already prefixed with it. */
  namespace?: string | undefined;
  readonly cache: Cache;
  readonly #onDisconnect: (() => Promise<void>) | undefined;

  constructor(cache: Cache, options: StowageKeyvStoreOptions = {}) {
    super();
    this.cache = cache;
    this.#onDisconnect = options.onDisconnect;
    this.opts = { dialect: "sqlite", url: options.url ?? `stowage:${cache.namespace}` };
  }

  async get<Value>(key: string): Promise<Value | undefined> {
    return this.cache.get<Value>(key);
  }

  async getMany<Value>(keys: string[]): Promise<(Value | undefined)[]> {
    return this.cache.getMany<Value>(keys);
  }

  /** Keyv passes the TTL in ms (undefined = none); stowage takes whole positive ms. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.cache.set(key, value, ttlOption(ttl));
    return true;
  }

  async setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<boolean[]> {
    await this.cache.setMany(entries.map(({ key, value, ttl }) => ({ key, value, ...ttlOption(ttl) })));
    return entries.map(() => true);
  }

  async has(key: string): Promise<boolean> {
    return this.cache.has(key);
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    const values = await this.cache.getMany(keys);
    return values.map((value) => value !== undefined);
  }

  async delete(key: string): Promise<boolean> {
    return this.cache.delete(key);
  }

  /** True when at least one of the keys was removed (what @keyv/sqlite and @keyv/redis return). */
  async deleteMany(keys: string[]): Promise<boolean> {
    return (await this.cache.deleteMany(keys)) > 0;
  }

  /** Removes this Keyv namespace's keys only, or the whole cache when Keyv has no namespace. */
  async clear(): Promise<void> {
    if (!this.namespace) {
      await this.cache.clear();
      return;
    }
    let batch: string[] = [];
    for await (const key of this.cache.keys(`${this.namespace}:`)) {
      batch.push(key);
      if (batch.length >= CLEAR_BATCH) {
        await this.cache.deleteMany(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.cache.deleteMany(batch);
  }

  /** Yields [prefixed key, stored value] for every live key of the namespace; Keyv strips the prefix. */
  async *iterator<Value>(namespace?: string): AsyncGenerator<[string, Value], void> {
    for await (const key of this.cache.keys(namespace ? `${namespace}:` : "")) {
      const value = await this.cache.get<Value>(key);
      // A key that expired or was deleted between listing and reading is skipped.
      if (value !== undefined) yield [key, value];
    }
  }

  async disconnect(): Promise<void> {
    await this.#onDisconnect?.();
  }
}

function ttlOption(ttl: number | undefined): { ttl: number } | undefined {
  return typeof ttl === "number" && Number.isFinite(ttl) && ttl > 0 ? { ttl: Math.ceil(ttl) } : undefined;
}
