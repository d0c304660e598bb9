import type { CacheDriver, EntryUpdate, StoredEntry, SyncCacheAccess } from "@stowage/core";
import { addToCounter, decodeCounter, encodeCounter, isExpired } from "@stowage/core";
import { LRUCache } from "lru-cache";

/** Bounds of the in-memory L1: both apply, the least recently used entry goes first. */
export interface MemoryTierOptions {
  /** Most entries kept (default 10,000; Infinity for no bound). */
  maxEntries?: number;
  /** Most bytes kept, counting values, keys and a fixed overhead per entry (default 64 MiB; Infinity for no bound). */
  maxBytes?: number;
}

export const MEMORY_TIER_DEFAULTS = { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 } as const;

/** What one entry costs beyond its value: two bytes per key character plus the map's bookkeeping. */
const entryCost = (entry: StoredEntry, key: string) => entry.value.byteLength + key.length * 2 + 48;

/**
 * An in-process LRU cache driver bounded by entries and bytes: the default L1 of a hybrid cache,
 * and the cache of @stowage/memory (which bounds bytes only).
 */
export class MemoryTier implements CacheDriver, SyncCacheAccess {
  readonly #entries: LRUCache<string, StoredEntry>;
  /** Its own peek and put: the hybrid's L1 reads and fills it without a promise. */
  readonly sync: SyncCacheAccess = this;

  constructor(options: MemoryTierOptions = {}) {
    const maxEntries = options.maxEntries ?? MEMORY_TIER_DEFAULTS.maxEntries;
    const maxBytes = options.maxBytes ?? MEMORY_TIER_DEFAULTS.maxBytes;
    this.#entries = new LRUCache<string, StoredEntry>({
      // lru-cache preallocates `max` slots, so an unbounded count leaves `max` out instead of passing Infinity.
      ...(Number.isFinite(maxEntries) ? { max: maxEntries } : {}),
      maxSize: Number.isFinite(maxBytes) ? maxBytes : Number.MAX_SAFE_INTEGER,
      sizeCalculation: entryCost,
    });
  }

  /** The live entry, synchronously (the hybrid's L1-hit fast path). */
  peek(key: string): StoredEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== null && isExpired(entry.expiresAt)) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    return this.peek(key);
  }

  /** Stores `entry`, or drops the key when it is null, synchronously (the hybrid's L1 fills). */
  put(key: string, entry: StoredEntry | null): void {
    if (entry === null) this.#entries.delete(key);
    else this.#entries.set(key, entry);
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    return keys.map((key) => this.peek(key));
  }

  async set(key: string, entry: StoredEntry): Promise<void> {
    this.#entries.set(key, entry);
  }

  async setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void> {
    for (const { key, entry } of entries) this.#entries.set(key, entry);
  }

  async add(key: string, entry: StoredEntry): Promise<boolean> {
    if (this.peek(key) !== undefined) return false;
    this.#entries.set(key, entry);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const live = this.peek(key) !== undefined;
    this.#entries.delete(key);
    return live;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    let removed = 0;
    for (const key of new Set(keys)) {
      if (this.peek(key) !== undefined) removed++;
      this.#entries.delete(key);
    }
    return removed;
  }

  async incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    const current = this.peek(key);
    const next = addToCounter(current ? decodeCounter(current.value, key) : 0, by, key);
    this.#entries.set(key, { value: encodeCounter(next), expiresAt: current ? current.expiresAt : expiresAtIfCreated });
    return next;
  }

  async update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void> {
    const next = fn(this.peek(key));
    if (next === null) this.#entries.delete(key);
    else if (next !== undefined) this.#entries.set(key, next);
  }

  async *keys(prefix: string): AsyncIterable<string> {
    for (const key of [...this.#entries.keys()]) {
      if (key.startsWith(prefix) && this.peek(key) !== undefined) yield key;
    }
  }

  async clear(): Promise<void> {
    this.#entries.clear();
  }

  async gc(): Promise<number> {
    let removed = 0;
    for (const [key, entry] of [...this.#entries.entries()]) {
      if (isExpired(entry.expiresAt)) {
        this.#entries.delete(key);
        removed++;
      }
    }
    return removed;
  }

  async size(): Promise<{ entries: number; bytes: number }> {
    return { entries: this.#entries.size, bytes: this.#entries.calculatedSize };
  }
}
