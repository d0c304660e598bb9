import { type CacheDriver, type StoredEntry, wallNow } from "@stowage/core";

/** An answer now (a sync tier) or later (a disk tier). */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The L1 as the hybrid reads and fills it, one way for every tier: a tier with the `sync`
 * capability (the memory tier) answers without a promise, so an L1 hit costs none; any other
 * driver answers through its promises. Entries it takes are capped at `maxTtlMs`.
 */
export class L1Tier {
  readonly driver: CacheDriver;
  /** It may hold entries from before this process (a disk tier): every bus message since was missed. */
  readonly persistent: boolean;
  readonly #maxTtlMs: number | undefined;
  /** The live entry: synchronously for a sync tier. */
  readonly peek: (key: string) => MaybePromise<StoredEntry | undefined>;
  readonly #put: (key: string, entry: StoredEntry | null) => Promise<unknown> | undefined;

  constructor(driver: CacheDriver, maxTtlMs: number | undefined) {
    this.driver = driver;
    this.#maxTtlMs = maxTtlMs;
    const sync = driver.sync;
    this.persistent = sync === undefined;
    if (sync) {
      this.peek = (key) => sync.peek(key);
      this.#put = (key, entry) => void sync.put(key, entry);
    } else {
      this.peek = (key) => driver.get(key);
      this.#put = (key, entry) => (entry === null ? driver.delete(key) : driver.set(key, entry));
    }
  }

  /** Stores `entry` (capped at the L1's longest ttl) or drops the key when null; undefined when done already. */
  put(key: string, entry: StoredEntry | null): Promise<unknown> | undefined {
    return this.#put(key, entry === null ? null : this.capped(entry));
  }

  /** Drops `keys`; undefined when done already. */
  drop(keys: readonly string[]): Promise<unknown> | undefined {
    const sync = this.driver.sync;
    if (!sync) return this.driver.deleteMany(keys);
    for (const key of keys) sync.put(key, null);
    return undefined;
  }

  /** The entry with its expiry brought within the L1's longest ttl. */
  capped(entry: StoredEntry): StoredEntry {
    if (this.#maxTtlMs === undefined) return entry;
    const cap = wallNow() + this.#maxTtlMs;
    return entry.expiresAt !== null && entry.expiresAt <= cap ? entry : { value: entry.value, expiresAt: cap };
  }
}
