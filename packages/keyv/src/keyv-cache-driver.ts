import {
  addToCounter,
  BackendUnavailableError,
  type CacheDriver,
  ConfigError,
  decodeCounter,
  type EntryUpdate,
  encodeCounter,
  isExpired,
  type StoredEntry,
  wallNow,
} from "@stowage/core";
import type Keyv from "keyv";

/** An entry as it sits in the Keyv store: base64 bytes and stowage's own expiry. */
interface KeyvRecord {
  b: string;
  e: number | null;
}

/** Per-key queues of read-modify-write steps, shared by every driver over the same Keyv in this process. */
const queuesByKeyv = new WeakMap<Keyv, Map<string, Promise<unknown>>>();

/** Stored keys escape "%" and NUL: node-sqlite3 cuts strings at NUL, which would merge distinct keys. */
const escapeKey = (key: string) => key.replaceAll("%", "%25").replaceAll("\0", "%00");
const unescapeKey = (stored: string) => stored.replace(/%(?:25|00)/g, (code) => (code === "%25" ? "%" : "\0"));

/**
 * One stowage namespace of a cache kept in any Keyv store. Keys are stored as
 * `stowage:<namespace>:<key>` through one Keyv that adds no prefix of its own. Keyv offers
 * get/set/delete and nothing conditional, so add, incr and update are atomic only among the
 * callers of this process (a per-key queue); across processes they are read-then-write and can
 * lose updates. keys(), clear(), gc() and size() need a store that can iterate (one with an
 * `iterator(namespace)` method, as the sqlite, postgres, mysql, mongo, redis and etcd stores
 * have, or a Map).
 */
export class KeyvCacheDriver implements CacheDriver {
  readonly #keyv: Keyv;
  readonly #prefix: string;
  readonly #queues: Map<string, Promise<unknown>>;

  constructor(keyv: Keyv, namespace: string) {
    this.#keyv = keyv;
    let queues = queuesByKeyv.get(keyv);
    if (!queues) {
      queues = new Map();
      queuesByKeyv.set(keyv, queues);
    }
    this.#queues = queues;
    this.#prefix = `stowage:${namespace}:`;
  }

  #live(record: unknown): StoredEntry | undefined {
    if (typeof record !== "object" || record === null || typeof (record as KeyvRecord).b !== "string") return undefined;
    const { b, e } = record as KeyvRecord;
    if (isExpired(e)) return undefined;
    return { value: Buffer.from(b, "base64"), expiresAt: e };
  }

  #record(entry: StoredEntry): { value: KeyvRecord; ttl: number | undefined } | undefined {
    const ttl = entry.expiresAt === null ? undefined : entry.expiresAt - wallNow();
    if (ttl !== undefined && ttl <= 0) return undefined;
    const b = Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength).toString("base64");
    return { value: { b, e: entry.expiresAt }, ttl };
  }

  #stored(key: string): string {
    return this.#prefix + escapeKey(key);
  }

  #read(key: string): Promise<unknown> {
    return this.#keyv.get(this.#stored(key));
  }

  async #readMany(keys: readonly string[]): Promise<unknown[]> {
    return (await this.#keyv.get(keys.map((key) => this.#stored(key)))) as unknown[];
  }

  async #remove(keys: readonly string[]): Promise<void> {
    if (keys.length === 1) await this.#keyv.delete(this.#stored(keys[0] as string));
    else if (keys.length > 1) await this.#keyv.delete(keys.map((key) => this.#stored(key)));
  }

  async #write(key: string, entry: StoredEntry | null): Promise<void> {
    const record = entry === null ? undefined : this.#record(entry);
    // An entry already past its expiry is never returned, so it is removed instead of written.
    if (record === undefined) {
      await this.#remove([key]);
      return;
    }
    const ok = await this.#keyv.set(this.#stored(key), record.value, record.ttl);
    if (ok === false) throw new BackendUnavailableError(`keyv set of "${key}" was refused by the store`);
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    return this.#live(await this.#read(key));
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    return (await this.#readMany(keys)).map((record) => this.#live(record));
  }

  async set(key: string, entry: StoredEntry): Promise<void> {
    return this.#write(key, entry);
  }

  async setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void> {
    // Writes run concurrently, so a key named twice keeps its last entry only (as on every backend).
    const last = new Map(entries.map(({ key, entry }) => [key, entry]));
    await Promise.all([...last].map(([key, entry]) => this.#write(key, entry)));
  }

  async delete(key: string): Promise<boolean> {
    const live = this.#live(await this.#read(key)) !== undefined;
    await this.#remove([key]);
    return live;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    const unique = [...new Set(keys)];
    const records = await this.#readMany(unique);
    await this.#remove(unique);
    return records.filter((record) => this.#live(record) !== undefined).length;
  }

  /** Runs read-modify-write steps of one key one after another (atomic within this process only). */
  #serialized<T>(bareKey: string, step: () => Promise<T>): Promise<T> {
    const key = this.#stored(bareKey);
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const next = previous.then(step, step);
    const tail = next.catch(() => undefined);
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return next;
  }

  async add(key: string, entry: StoredEntry): Promise<boolean> {
    return this.#serialized(key, async () => {
      if (this.#live(await this.#read(key)) !== undefined) return false;
      await this.#write(key, entry);
      return true;
    });
  }

  async incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    return this.#serialized(key, async () => {
      const current = this.#live(await this.#read(key));
      const next = addToCounter(current ? decodeCounter(current.value, key) : 0, by, key);
      await this.#write(key, {
        value: encodeCounter(next),
        expiresAt: current ? current.expiresAt : expiresAtIfCreated,
      });
      return next;
    });
  }

  async update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void> {
    return this.#serialized(key, async () => {
      const next = fn(this.#live(await this.#read(key)));
      if (next !== undefined) await this.#write(key, next);
    });
  }

  /** Yields [key without prefix, record] for every entry of this namespace, expired ones included. */
  async *#entries(): AsyncIterable<[string, unknown]> {
    const store = this.#keyv.store as { iterator?: (namespace?: string) => AsyncIterable<[string, unknown]> };
    let raw: AsyncIterable<[string, unknown]> | Iterable<[string, unknown]>;
    if (store instanceof Map) raw = [...store.entries()] as [string, unknown][];
    else if (typeof store.iterator === "function") raw = store.iterator(this.#prefix.slice(0, -1));
    else {
      throw new ConfigError(
        "cache.url",
        "this Keyv store cannot list its keys (it has no iterator(); the sqlite, postgres, mysql, mongo, redis and etcd stores and a Map have one); keys(), clear(), gc() and stats() need it",
      );
    }
    for await (const [key, stored] of raw) {
      // Stores match the namespace with LIKE or globs, so the prefix is checked again here.
      if (typeof key !== "string" || !key.startsWith(this.#prefix)) continue;
      const data = await this.#keyv.deserializeData(stored as string);
      yield [unescapeKey(key.slice(this.#prefix.length)), data?.value];
    }
  }

  async *keys(prefix: string): AsyncIterable<string> {
    for await (const [key, record] of this.#entries()) {
      if (key.startsWith(prefix) && this.#live(record) !== undefined) yield key;
    }
  }

  async clear(): Promise<void> {
    const keys: string[] = [];
    for await (const [key] of this.#entries()) keys.push(key);
    await this.#remove(keys);
  }

  async gc(): Promise<number> {
    const expired: string[] = [];
    for await (const [key, record] of this.#entries()) if (this.#live(record) === undefined) expired.push(key);
    await this.#remove(expired);
    return expired.length;
  }

  async size(): Promise<{ entries: number; bytes: number }> {
    let entries = 0;
    let bytes = 0;
    for await (const [, record] of this.#entries()) {
      const live = this.#live(record);
      if (live === undefined) continue;
      entries++;
      bytes += live.value.byteLength;
    }
    return { entries, bytes };
  }
}
