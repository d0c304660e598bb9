import {
  addToCounter,
  type CacheDriver,
  decodeCounter,
  type EntryUpdate,
  encodeCounter,
  isExpired,
  type StoredEntry,
  wallNow,
} from "@stowage/core";
import { CacheLru, entryBytes } from "./cache-lru.js";
import { decodeSharedRecord, encodeRecord, recordExpiresAt } from "./cache-record.js";
import type { LmdbDatabases } from "./environment.js";
import { appendString, decodeTuple, encodeTuple, stringPrefixRange, tupleRange } from "./keys/tuple.js";
import type { WriteWait } from "./write-wait.js";

const KEYS_PAGE = 512;
/** Reads build their key here: lmdb copies a key during a synchronous get, so one buffer serves every read. */
const readKey = Buffer.allocUnsafe(8192);
/** How long a read's use may wait to be written when no write comes first. */
const READ_FLUSH_MS = 100;

/** One namespace of the cache: records keyed (namespace, key) in the `cache` sub-database. */
export class LmdbCacheDriver implements CacheDriver {
  readonly #dbs: LmdbDatabases;
  readonly #namespace: string;
  readonly #prefix: Buffer;
  readonly #where: string;
  /** Present only with a size limit; without one a write is a single batched put. */
  readonly #lru: CacheLru | undefined;

  readonly #writes: WriteWait;

  constructor(dbs: LmdbDatabases, namespace: string, maxSizeBytes: number | undefined, writes: WriteWait) {
    const where = writes.where;
    this.#writes = writes;
    this.#dbs = dbs;
    this.#namespace = namespace;
    this.#prefix = encodeTuple([namespace]);
    this.#where = where;
    this.#lru = maxSizeBytes === undefined ? undefined : new CacheLru(dbs, namespace, maxSizeBytes);
  }

  #key(key: string): Buffer {
    return appendString(this.#prefix, key);
  }

  /** The live entry, read in the current transaction when called inside one. */
  #live(key: string, keyBuffer = this.#key(key)): StoredEntry | undefined {
    // The fast read returns lmdb's reused buffer; the expiry is checked before any copy.
    const record = this.#dbs.cache.getBinaryFast(keyBuffer);
    if (record === undefined || isExpired(recordExpiresAt(record))) return undefined;
    return decodeSharedRecord(record, key);
  }

  #noteRead(key: string): void {
    if (!this.#lru?.noteRead(key)) return;
    setTimeout(() => {
      // Best effort: a use not written only makes eviction less exact.
      this.flushReads().catch(() => {});
    }, READ_FLUSH_MS).unref();
  }

  /** Writes the uses of reads not yet recorded (the backend calls it before closing). */
  async flushReads(): Promise<void> {
    if (this.#lru?.hasPendingReads()) await this.#write(() => {});
  }

  /** Runs `fn` in a write transaction, after recording this process's pending reads. */
  #write<T>(fn: () => T): Promise<T> {
    return this.#writes.transaction(() => {
      this.#lru?.applyReads();
      return fn();
    });
  }

  /** Inside a transaction: stores `record`, keeping the size bookkeeping exact. */
  #putInTxn(key: string, keyBuffer: Buffer, record: Buffer): void {
    const lru = this.#lru;
    if (lru) {
      lru.assertFits(key, record);
      const previous = this.#dbs.cache.getBinary(keyBuffer);
      lru.addBytes(entryBytes(key, record) - (previous ? entryBytes(key, previous) : 0));
    }
    this.#dbs.cache.putSync(keyBuffer, record);
    if (lru) {
      lru.used(key);
      lru.evict();
    }
  }

  /** Inside a transaction: removes the key; true when a live entry was removed. */
  #removeInTxn(key: string, keyBuffer: Buffer): boolean {
    const previous = this.#dbs.cache.getBinary(keyBuffer);
    if (previous === undefined) return false;
    this.#dbs.cache.removeSync(keyBuffer);
    if (this.#lru) {
      this.#lru.addBytes(-entryBytes(key, previous));
      this.#lru.forget(key);
    }
    return !isExpired(recordExpiresAt(previous));
  }

  get(key: string): Promise<StoredEntry | undefined> {
    // Not async: the hot path, kept to one settled promise; the driver edge maps the rejection.
    try {
      const entry = this.#live(key, appendString(this.#prefix, key, readKey));
      if (entry !== undefined && this.#lru) this.#noteRead(key);
      return Promise.resolve(entry);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    const entries = keys.map((key) => this.#live(key));
    keys.forEach((key, i) => {
      if (entries[i] !== undefined) this.#noteRead(key);
    });
    return entries;
  }

  set(key: string, entry: StoredEntry): Promise<void> {
    if (this.#lru) return this.#write(() => this.#putInTxn(key, this.#key(key), encodeRecord(entry)));
    try {
      // lmdb batches every put of this event turn into one commit, off the main thread.
      return this.#writes.bounded(this.#dbs.cache.put(this.#key(key), encodeRecord(entry))).then(() => {});
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void> {
    await this.#write(() => {
      for (const { key, entry } of entries) this.#putInTxn(key, this.#key(key), encodeRecord(entry));
    });
  }

  async add(key: string, entry: StoredEntry): Promise<boolean> {
    return this.#write(() => {
      const keyBuffer = this.#key(key);
      if (this.#live(key, keyBuffer) !== undefined) return false;
      this.#putInTxn(key, keyBuffer, encodeRecord(entry));
      return true;
    });
  }

  async delete(key: string): Promise<boolean> {
    return this.#write(() => this.#removeInTxn(key, this.#key(key)));
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    return this.#write(() => {
      let removed = 0;
      for (const key of new Set(keys)) if (this.#removeInTxn(key, this.#key(key))) removed++;
      return removed;
    });
  }

  async incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    return this.#write(() => {
      const keyBuffer = this.#key(key);
      const current = this.#live(key, keyBuffer);
      const next = addToCounter(current ? decodeCounter(current.value, key) : 0, by, key);
      const expiresAt = current ? current.expiresAt : expiresAtIfCreated;
      this.#putInTxn(key, keyBuffer, encodeRecord({ value: encodeCounter(next), expiresAt }));
      return next;
    });
  }

  async update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void> {
    await this.#write(() => {
      const keyBuffer = this.#key(key);
      const next = fn(this.#live(key, keyBuffer));
      if (next === null) this.#removeInTxn(key, keyBuffer);
      else if (next !== undefined) this.#putInTxn(key, keyBuffer, encodeRecord(next));
    });
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const range = stringPrefixRange([this.#namespace], prefix);
    let start = range.start;
    for (;;) {
      const page = Array.from(this.#dbs.cache.getRange({ start, end: range.end, limit: KEYS_PAGE }));
      const now = wallNow();
      for (const { key, value } of page) {
        if (!isExpired(recordExpiresAt(value), now)) yield decodeTuple(key)[1] as string;
      }
      if (page.length < KEYS_PAGE) return;
      // The smallest key after the last one read.
      start = Buffer.concat([(page[page.length - 1] as { key: Buffer }).key, Buffer.from([0])]);
    }
  }

  async clear(): Promise<void> {
    await this.#write(() => {
      for (const keyBuffer of Array.from(this.#dbs.cache.getKeys(tupleRange([this.#namespace])))) {
        this.#dbs.cache.removeSync(keyBuffer);
      }
      this.#lru?.reset();
    });
  }

  async gc(): Promise<number> {
    const range = tupleRange([this.#namespace]);
    let start = range.start;
    let removed = 0;
    // Pages of reads, then one short write per page: a sweep never holds the writer lock for long.
    for (;;) {
      const page = Array.from(this.#dbs.cache.getRange({ start, end: range.end, limit: KEYS_PAGE }));
      const now = wallNow();
      const expired = page.filter(({ value }) => isExpired(recordExpiresAt(value), now)).map(({ key }) => key);
      if (expired.length > 0) {
        removed += await this.#write(() => {
          let count = 0;
          for (const keyBuffer of expired) {
            const record = this.#dbs.cache.getBinary(keyBuffer);
            // Re-checked inside the transaction: another process may have rewritten the entry.
            if (record === undefined || !isExpired(recordExpiresAt(record))) continue;
            this.#removeInTxn(decodeTuple(keyBuffer)[1] as string, keyBuffer);
            count++;
          }
          return count;
        });
      }
      if (page.length < KEYS_PAGE) return removed;
      start = Buffer.concat([(page[page.length - 1] as { key: Buffer }).key, Buffer.from([0])]);
    }
  }

  async size(): Promise<{ entries: number; bytes: number }> {
    let entries = 0;
    let bytes = 0;
    for (const { value } of this.#dbs.cache.getRange(tupleRange([this.#namespace]))) {
      entries++;
      bytes += value.length - 8;
    }
    return { entries, bytes };
  }
}
