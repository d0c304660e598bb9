import type { CacheFastPaths } from "./fast-paths.js";

/** An entry as a backend stores it: encoded bytes and a wall-clock expiry (ms since epoch, null = never). */
export interface StoredEntry {
  value: Uint8Array;
  expiresAt: number | null;
}

/** What an `update` callback returns: a new entry, `null` to delete, or `undefined` to leave it as it is. */
export type EntryUpdate = StoredEntry | null | undefined;

/** The same entries as the driver's, read and written synchronously: an in-process tier's fast path. */
export interface SyncCacheAccess {
  /** The live entry for `key`, or undefined. */
  peek(key: string): StoredEntry | undefined;
  /** Stores `entry`, or drops the key when it is null. */
  put(key: string, entry: StoredEntry | null): void;
}

/**
 * The primitives a backend implements for one namespace of the cache. Keys are already
 * validated and values already encoded by core. No method ever returns an expired entry.
 * Every method rejects with a StowageError (ERR_BACKEND_UNAVAILABLE when the backend is down).
 * The speed-only optional methods are in CacheFastPaths.
 */
export interface CacheDriver extends CacheFastPaths {
  /** Returns the live entry for `key`, or undefined when absent or expired. */
  get(key: string): Promise<StoredEntry | undefined>;
  /** Returns the live entries for `keys`, in the same order, undefined where absent or expired. */
  getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]>;
  /**
   * Optional: synchronous access for a tier held in this process's memory (@stowage/memory), so
   * the hybrid's L1 hit costs no promise; such a tier also holds nothing from before the process.
   */
  readonly sync?: SyncCacheAccess;
  /** Stores the entry, replacing any previous one. */
  set(key: string, entry: StoredEntry): Promise<void>;
  /** Stores every entry (atomically where the backend can). */
  setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void>;
  /** Stores the entry only when the key is absent or expired, atomically across processes; true when stored. */
  add(key: string, entry: StoredEntry): Promise<boolean>;
  /** Removes the key; true when a live entry was removed. */
  delete(key: string): Promise<boolean>;
  /** Removes the keys; returns how many live entries were removed. */
  deleteMany(keys: readonly string[]): Promise<number>;
  /**
   * Atomically adds `by` to the decimal integer text stored at `key` (absent or expired counts
   * as 0 and is created with `expiresAtIfCreated`; an existing entry keeps its expiry) and
   * returns the new value. A stored value that is not an integer is a SerializationError.
   */
  incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number>;
  /**
   * Atomically replaces the entry with what `fn` returns for the current one (undefined when
   * absent or expired). `fn` is pure and may run more than once (optimistic backends retry).
   */
  update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void>;
  /** Yields every live key that starts with `prefix` ("" for all), each once, in any order. */
  keys(prefix: string): AsyncIterable<string>;
  /** Removes every entry of this namespace and nothing else. */
  clear(): Promise<void>;
  /** Removes expired entries (and any leftovers such as temporary files); returns how many were removed. */
  gc(): Promise<number>;
  /** Returns how many entries and encoded bytes this namespace holds (expired ones not yet swept may count). */
  size(): Promise<{ entries: number; bytes: number }>;
  /**
   * Optional: the driver's own counters, merged into stats() (the hybrid: L1 size, stale serves,
   * breaker, bus). Resolves at all times, also while the backend is down.
   */
  statsDetails?(): Promise<object>;
  /**
   * True when the driver publishes cache hit/miss itself (the two-tier cache, with the tier that
   * answered): the store then leaves those events to it, so a subscriber sees each read once.
   */
  readonly publishesReads?: boolean;
}
