import { assertWeightFits } from "@stowage/core";
import type { LmdbDatabases } from "./environment.js";
import { appendString, decodeTuple, encodeTuple, tupleRange } from "./keys/tuple.js";

/** Bytes an entry counts for against the size limit: key, value and a little per-entry overhead, as in memory. */
export function entryBytes(key: string, record: Buffer): number {
  return Buffer.byteLength(key) + record.length + 16;
}

const SEQUENCE_KEY = encodeTuple(["seq"]);

/**
 * Least-recently-used bookkeeping of one cache namespace with a size limit. Every method but
 * `noteRead` must run inside a write transaction, so the counts stay exact across processes.
 * Reads are not transactions: they are noted in memory and written with the next write (or
 * within `flushDelayMs`), so a read costs no commit; reads in other processes not yet flushed
 * do not count, which makes eviction approximately, not strictly, least recently used.
 */
export class CacheLru {
  readonly #dbs: LmdbDatabases;
  readonly #namespace: string;
  readonly #prefix: Buffer;
  readonly #sizeKey: Buffer;
  readonly #maxBytes: number;
  readonly #reads = new Set<string>();

  constructor(dbs: LmdbDatabases, namespace: string, maxBytes: number) {
    this.#dbs = dbs;
    this.#namespace = namespace;
    this.#prefix = encodeTuple([namespace]);
    this.#sizeKey = encodeTuple(["size", namespace]);
    this.#maxBytes = maxBytes;
  }

  /** Remembers a read, to be written as a use by `applyReads`. Returns true when it is the first pending one. */
  noteRead(key: string): boolean {
    const first = this.#reads.size === 0;
    this.#reads.add(key);
    return first;
  }

  hasPendingReads(): boolean {
    return this.#reads.size > 0;
  }

  /** Records the pending reads as uses (in the order they happened). */
  applyReads(): void {
    if (this.#reads.size === 0) return;
    const keys = [...this.#reads];
    this.#reads.clear();
    for (const key of keys) if (this.#dbs.cache.doesExist(appendString(this.#prefix, key))) this.used(key);
  }

  /** Refuses (ERR_VALUE_TOO_LARGE) a record that alone exceeds the limit: eviction would empty the namespace and drop it too. */
  assertFits(key: string, record: Buffer): void {
    assertWeightFits(key, entryBytes(key, record), this.#maxBytes);
  }

  /** Makes `key` the most recently used. */
  used(key: string): void {
    const { cacheUse, cacheLru, cacheMeta } = this.#dbs;
    const keyBuffer = appendString(this.#prefix, key);
    const previous = cacheUse.get(keyBuffer);
    if (previous !== undefined) cacheLru.removeSync(encodeTuple([this.#namespace, previous, key]));
    const sequence = (cacheMeta.get(SEQUENCE_KEY) ?? 0) + 1;
    cacheMeta.putSync(SEQUENCE_KEY, sequence);
    cacheUse.putSync(keyBuffer, sequence);
    cacheLru.putSync(encodeTuple([this.#namespace, sequence, key]), true);
  }

  /** Drops the use record of a removed key. */
  forget(key: string): void {
    const keyBuffer = appendString(this.#prefix, key);
    const previous = this.#dbs.cacheUse.get(keyBuffer);
    if (previous === undefined) return;
    this.#dbs.cacheLru.removeSync(encodeTuple([this.#namespace, previous, key]));
    this.#dbs.cacheUse.removeSync(keyBuffer);
  }

  /** Adds `delta` to the namespace's byte count. */
  addBytes(delta: number): void {
    if (delta === 0) return;
    const bytes = Math.max(0, (this.#dbs.cacheMeta.get(this.#sizeKey) ?? 0) + delta);
    this.#dbs.cacheMeta.putSync(this.#sizeKey, bytes);
  }

  /** Removes least recently used entries until the namespace fits its limit; returns how many went. */
  evict(): number {
    const { cache, cacheLru, cacheUse, cacheMeta } = this.#dbs;
    let bytes = cacheMeta.get(this.#sizeKey) ?? 0;
    let removed = 0;
    while (bytes > this.#maxBytes) {
      const oldest = Array.from(cacheLru.getKeys({ ...tupleRange([this.#namespace]), limit: 1 }))[0];
      if (oldest === undefined) break;
      const key = decodeTuple(oldest)[2] as string;
      const keyBuffer = appendString(this.#prefix, key);
      const record = cache.getBinary(keyBuffer);
      cacheLru.removeSync(oldest);
      cacheUse.removeSync(keyBuffer);
      if (record !== undefined) {
        cache.removeSync(keyBuffer);
        bytes -= entryBytes(key, record);
        removed++;
      }
    }
    cacheMeta.putSync(this.#sizeKey, Math.max(0, bytes));
    return removed;
  }

  /** Forgets every use and the byte count of the namespace (after clear). */
  reset(): void {
    const { cacheUse, cacheLru, cacheMeta } = this.#dbs;
    for (const key of Array.from(cacheLru.getKeys(tupleRange([this.#namespace])))) cacheLru.removeSync(key);
    for (const key of Array.from(cacheUse.getKeys(tupleRange([this.#namespace])))) cacheUse.removeSync(key);
    cacheMeta.removeSync(this.#sizeKey);
  }
}
