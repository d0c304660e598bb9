import {
  addToCounter,
  type CacheDriver,
  ClosedError,
  decodeCounter,
  type EntryUpdate,
  encodeCounter,
  isExpired,
  type StoredEntry,
} from "@stowage/core";
import { LRUCache } from "lru-cache";

/** One namespace of the in-process cache: an LRU map bounded by bytes when a size limit is set. */
export class MemoryCacheDriver implements CacheDriver {
  readonly #entries: LRUCache<string, StoredEntry>;
  readonly #isClosed: () => boolean;

  constructor(maxSizeBytes: number | undefined, isClosed: () => boolean) {
    this.#isClosed = isClosed;
    this.#entries = new LRUCache<string, StoredEntry>({
      maxSize: maxSizeBytes ?? Number.MAX_SAFE_INTEGER,
      // Key bytes count too, so many small entries cannot grow past the limit.
      sizeCalculation: (entry, key) => entry.value.byteLength + key.length * 2 + 16,
    });
  }

  #open(): void {
    if (this.#isClosed()) throw new ClosedError("memory backend");
  }

  #live(key: string): StoredEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (isExpired(entry.expiresAt)) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    this.#open();
    return this.#live(key);
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    this.#open();
    return keys.map((key) => this.#live(key));
  }

  async set(key: string, entry: StoredEntry): Promise<void> {
    this.#open();
    this.#entries.set(key, entry);
  }

  async setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void> {
    this.#open();
    for (const { key, entry } of entries) this.#entries.set(key, entry);
  }

  async add(key: string, entry: StoredEntry): Promise<boolean> {
    this.#open();
    if (this.#live(key) !== undefined) return false;
    this.#entries.set(key, entry);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    this.#open();
    const live = this.#live(key) !== undefined;
    this.#entries.delete(key);
    return live;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    this.#open();
    let removed = 0;
    for (const key of new Set(keys)) {
      if (this.#live(key) !== undefined) removed++;
      this.#entries.delete(key);
    }
    return removed;
  }

  async incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    this.#open();
    const current = this.#live(key);
    const next = addToCounter(current ? decodeCounter(current.value, key) : 0, by, key);
    this.#entries.set(key, { value: encodeCounter(next), expiresAt: current ? current.expiresAt : expiresAtIfCreated });
    return next;
  }

  async update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void> {
    this.#open();
    const next = fn(this.#live(key));
    if (next === null) this.#entries.delete(key);
    else if (next !== undefined) this.#entries.set(key, next);
  }

  async *keys(prefix: string): AsyncIterable<string> {
    this.#open();
    for (const key of [...this.#entries.keys()]) {
      if (key.startsWith(prefix) && this.#live(key) !== undefined) yield key;
    }
  }

  async clear(): Promise<void> {
    this.#open();
    this.#entries.clear();
  }

  async gc(): Promise<number> {
    this.#open();
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
    this.#open();
    let bytes = 0;
    for (const entry of this.#entries.values()) bytes += entry.value.byteLength;
    return { entries: this.#entries.size, bytes };
  }
}
