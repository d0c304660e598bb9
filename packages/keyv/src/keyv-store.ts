import { EventEmitter } from "node:events";
import type { Cache } from "@stowage/core";
import { cacheKeyOf, envelope, isDigestKey, openEnvelope, storedAsIs } from "./keyv-key.js";

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

  /** The cache key of a Keyv key (see keyv-key.ts: a digest for keys stowage would refuse). */
  #key(key: string): string {
    return storedAsIs(key) ? key : cacheKeyOf(key, this.namespace);
  }

  /** The value Keyv stored under `key`, unwrapping the envelope of a digest key. */
  #unwrap<Value>(key: string, stored: unknown): Value | undefined {
    if (stored === undefined || storedAsIs(key)) return stored as Value | undefined;
    const opened = openEnvelope(stored);
    return opened && opened.keyvKey === key ? (opened.value as Value) : undefined;
  }

  #wrap(key: string, value: unknown): unknown {
    return storedAsIs(key) ? value : envelope(key, value);
  }

  async get<Value>(key: string): Promise<Value | undefined> {
    return this.#unwrap<Value>(key, await this.cache.get(this.#key(key)));
  }

  async getMany<Value>(keys: string[]): Promise<(Value | undefined)[]> {
    const values = await this.cache.getMany(keys.map((key) => this.#key(key)));
    return values.map((stored, i) => this.#unwrap<Value>(keys[i] as string, stored));
  }

  /** Keyv passes the TTL in ms (undefined = none); stowage takes whole positive ms. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.cache.set(this.#key(key), this.#wrap(key, value), ttlOption(ttl));
    return true;
  }

  async setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<boolean[]> {
    await this.cache.setMany(
      entries.map(({ key, value, ttl }) => ({ key: this.#key(key), value: this.#wrap(key, value), ...ttlOption(ttl) })),
    );
    return entries.map(() => true);
  }

  async has(key: string): Promise<boolean> {
    return this.cache.has(this.#key(key));
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    const values = await this.cache.getMany(keys.map((key) => this.#key(key)));
    return values.map((value) => value !== undefined);
  }

  async delete(key: string): Promise<boolean> {
    return this.cache.delete(this.#key(key));
  }

  /** True when at least one of the keys was removed (what @keyv/sqlite and @keyv/redis return). */
  async deleteMany(keys: string[]): Promise<boolean> {
    return (await this.cache.deleteMany(keys.map((key) => this.#key(key)))) > 0;
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
      const stored = await this.cache.get(key);
      // A key that expired or was deleted between listing and reading is skipped.
      if (stored === undefined) continue;
      if (!isDigestKey(key)) {
        yield [key, stored as Value];
        continue;
      }
      const opened = openEnvelope(stored);
      if (opened) yield [opened.keyvKey, opened.value as Value];
    }
  }

  async disconnect(): Promise<void> {
    await this.#onDisconnect?.();
  }
}

function ttlOption(ttl: number | undefined): { ttl: number } | undefined {
  return typeof ttl === "number" && Number.isFinite(ttl) && ttl > 0 ? { ttl: Math.ceil(ttl) } : undefined;
}
