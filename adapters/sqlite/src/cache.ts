import {
  addToCounter,
  assertWeightFits,
  type CacheDriver,
  CorruptDataError,
  decodeCounter,
  type EntryUpdate,
  encodeCounter,
  type StoredEntry,
  wallNow,
} from "@stowage/core";
import type Database from "better-sqlite3";
import { PendingTouches, recencyStamp } from "./cache-recency.js";
import type { SqliteFile } from "./sqlite-file.js";

const SQL = {
  get: "SELECT value, expires_at AS expiresAt FROM cache_entries WHERE namespace = ? AND key = ?",
  // The plain read (core's get): the expiry is judged in SQL and only the bytes come back, no row object.
  liveValue: `SELECT value FROM cache_entries
              WHERE namespace = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)`,
  set: `INSERT INTO cache_entries (namespace, key, value, expires_at, accessed_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (namespace, key) DO UPDATE SET
          value = excluded.value, expires_at = excluded.expires_at, accessed_at = excluded.accessed_at`,
  // Replaces only an expired entry: the conflict branch's WHERE makes add atomic in one statement.
  add: `INSERT INTO cache_entries (namespace, key, value, expires_at, accessed_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (namespace, key) DO UPDATE SET
          value = excluded.value, expires_at = excluded.expires_at, accessed_at = excluded.accessed_at
        WHERE cache_entries.expires_at IS NOT NULL AND cache_entries.expires_at <= ?`,
  delete: "DELETE FROM cache_entries WHERE namespace = ? AND key = ? RETURNING expires_at AS expiresAt",
  touch: "UPDATE cache_entries SET accessed_at = ? WHERE namespace = ? AND key = ? AND accessed_at < ?",
  keysFrom: `SELECT key, expires_at AS expiresAt FROM cache_entries
             WHERE namespace = ? AND key >= ? ORDER BY key LIMIT ?`,
  keysAfter: `SELECT key, expires_at AS expiresAt FROM cache_entries
              WHERE namespace = ? AND key > ? ORDER BY key LIMIT ?`,
  clear: "DELETE FROM cache_entries WHERE namespace = ?",
  scan: `SELECT key, expires_at AS expiresAt FROM cache_entries
         WHERE namespace = ? AND key > ? ORDER BY key LIMIT ?`,
  deleteExpired: "DELETE FROM cache_entries WHERE namespace = ? AND key = ? AND expires_at <= ?",
  size: "SELECT entries, value_bytes AS valueBytes, key_bytes AS keyBytes FROM cache_namespaces WHERE namespace = ?",
  countedSize: `SELECT count(*) AS entries, coalesce(sum(length(value)), 0) AS valueBytes, 0 AS keyBytes
                FROM cache_entries WHERE namespace = ?`,
  oldest: "SELECT key FROM cache_entries WHERE namespace = ? ORDER BY accessed_at LIMIT ?",
} as const;

type Statements = { [K in keyof typeof SQL]: Database.Statement };

interface EntryRow {
  value: Buffer;
  expiresAt: number | null;
}

const KEYS_PAGE = 256;
const GC_CHUNK = 1_000;
const EVICT_BATCH = 32;

const isLive = (expiresAt: number | null, now: number) => expiresAt === null || expiresAt > now;

/** One namespace of the cache in the shared database file. */
export class SqliteCacheDriver implements CacheDriver {
  readonly #file: SqliteFile;
  readonly #namespace: string;
  readonly #maxSizeBytes: number | undefined;
  readonly #sql: Statements;
  readonly touches: PendingTouches;

  constructor(file: SqliteFile, namespace: string, maxSizeBytes: number | undefined) {
    this.#file = file;
    this.#namespace = namespace;
    this.#maxSizeBytes = maxSizeBytes;
    this.#sql = file.use(() => {
      const statements = Object.fromEntries(
        Object.entries(SQL).map(([name, sql]) => [name, file.db.prepare(sql)]),
      ) as Statements;
      statements.liveValue.pluck(true);
      return statements;
    });
    this.touches = new PendingTouches((stamps) => this.#writeTouches(stamps));
  }

  #live(key: string, now: number): StoredEntry | undefined {
    const row = this.#sql.get.get(this.#namespace, key) as EntryRow | undefined;
    if (row === undefined || !isLive(row.expiresAt, now)) return undefined;
    if (this.#file.sizeLimitsOn(now)) this.touches.touch(key);
    return row;
  }

  /** Eviction counts keys and values: an entry that alone exceeds the limit would empty the namespace and go too. */
  #assertFits(key: string, entry: StoredEntry): void {
    if (this.#maxSizeBytes !== undefined) {
      assertWeightFits(key, Buffer.byteLength(key) + entry.value.byteLength, this.#maxSizeBytes);
    }
  }

  #store(key: string, entry: StoredEntry): void {
    this.#assertFits(key, entry);
    this.#sql.set.run(this.#namespace, key, entry.value, entry.expiresAt, recencyStamp());
  }

  /** Runs a write; with a size limit it also records pending reads and evicts, all in one transaction. */
  #write<T>(body: () => T): T {
    if (this.#maxSizeBytes === undefined) return this.#file.write(body);
    return this.#file.write(() => {
      this.touches.flush();
      const result = body();
      this.#evict(this.#maxSizeBytes as number);
      return result;
    });
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    return this.#live(key, wallNow());
  }

  async getValue(key: string): Promise<Uint8Array | undefined> {
    return this.#file.use(() => {
      const now = wallNow();
      const value = this.#sql.liveValue.get(this.#namespace, key, now) as Buffer | undefined;
      if (value !== undefined && this.#file.sizeLimitsOn(now)) this.touches.touch(key);
      return value;
    });
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    return this.#file.use(() => {
      const now = wallNow();
      return keys.map((key) => this.#live(key, now));
    });
  }

  // Every write goes through the file's group commit (src/commit-batch.ts): it runs now and
  // resolves once committed, alone or together with the other writes in flight in this process.

  async set(key: string, entry: StoredEntry): Promise<void> {
    // Without a limit a set is one statement: alone, the cheapest durable write SQLite has (autocommit).
    if (this.#maxSizeBytes === undefined) return this.#file.commitLater(() => this.#store(key, entry));
    return this.#file.commitLater(() => this.#write(() => this.#store(key, entry)));
  }

  async setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void> {
    return this.#file.commitLater(() =>
      this.#write(() => {
        for (const { key, entry } of entries) this.#store(key, entry);
      }),
    );
  }

  async add(key: string, entry: StoredEntry): Promise<boolean> {
    this.#assertFits(key, entry);
    return this.#file.commitLater(() =>
      this.#write(() => {
        const info = this.#sql.add.run(this.#namespace, key, entry.value, entry.expiresAt, recencyStamp(), wallNow());
        return info.changes === 1;
      }),
    );
  }

  async delete(key: string): Promise<boolean> {
    return this.#file.commitLater(() => {
      const row = this.#sql.delete.get(this.#namespace, key) as { expiresAt: number | null } | undefined;
      return row !== undefined && isLive(row.expiresAt, wallNow());
    });
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    return this.#file.commitLater(() =>
      this.#file.write(() => {
        const now = wallNow();
        let removed = 0;
        for (const key of new Set(keys)) {
          const row = this.#sql.delete.get(this.#namespace, key) as { expiresAt: number | null } | undefined;
          if (row !== undefined && isLive(row.expiresAt, now)) removed++;
        }
        return removed;
      }),
    );
  }

  async incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    return this.#file.commitLater(() =>
      this.#write(() => {
        const current = this.#live(key, wallNow());
        const next = addToCounter(current ? decodeCounter(current.value, key) : 0, by, key);
        this.#store(key, { value: encodeCounter(next), expiresAt: current ? current.expiresAt : expiresAtIfCreated });
        return next;
      }),
    );
  }

  async update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void> {
    return this.#file.commitLater(() =>
      this.#write(() => {
        const next = fn(this.#live(key, wallNow()));
        if (next === null) this.#sql.delete.get(this.#namespace, key);
        else if (next !== undefined) this.#store(key, next);
      }),
    );
  }

  async *keys(prefix: string): AsyncIterable<string> {
    // Pages in key order from a cursor, so each key is yielded once even while others write.
    let page = this.#file.use(() => this.#sql.keysFrom.all(this.#namespace, prefix, KEYS_PAGE)) as EntryKeyRow[];
    for (;;) {
      const now = wallNow();
      for (const row of page) {
        if (typeof row.key !== "string")
          throw new CorruptDataError(`${this.#file.path}: a cache key is stored as a ${typeof row.key}`);
        // Keys sharing a prefix are contiguous in SQLite's byte order: the first one without it ends the range.
        if (!row.key.startsWith(prefix)) return;
        if (isLive(row.expiresAt, now)) yield row.key;
      }
      const last = page[page.length - 1];
      if (page.length < KEYS_PAGE || last === undefined) return;
      page = this.#file.use(() => this.#sql.keysAfter.all(this.#namespace, last.key, KEYS_PAGE)) as EntryKeyRow[];
    }
  }

  async clear(): Promise<void> {
    await this.#file.commitLater(() => this.#sql.clear.run(this.#namespace));
    this.touches.drop();
  }

  async gc(): Promise<number> {
    // Its chunks commit one by one, each before the next: none may join a shared transaction that commits later.
    this.#file.commitNow();
    // Reads the namespace in key-ordered chunks and deletes what expired, one short write
    // transaction per chunk, so a sweep never holds the writer lock for long.
    let removed = 0;
    let after = "";
    for (;;) {
      const chunk = this.#file.use(() => this.#sql.scan.all(this.#namespace, after, GC_CHUNK)) as EntryKeyRow[];
      const now = wallNow();
      const expired = chunk.filter((row) => !isLive(row.expiresAt, now));
      if (expired.length > 0) {
        removed += this.#file.write(() => {
          let changes = 0;
          for (const { key } of expired) changes += this.#sql.deleteExpired.run(this.#namespace, key, now).changes;
          return changes;
        });
      }
      const last = chunk[chunk.length - 1];
      if (chunk.length < GC_CHUNK || last === undefined) return removed;
      after = last.key;
    }
  }

  async size(): Promise<{ entries: number; bytes: number }> {
    return this.#file.use(() => {
      // Kept totals when a size limit is in use; otherwise a count over this namespace's rows.
      const sql = this.#file.sizeLimitsOn(wallNow()) ? this.#sql.size : this.#sql.countedSize;
      const row = sql.get(this.#namespace) as SizeRow | undefined;
      return { entries: row?.entries ?? 0, bytes: row?.valueBytes ?? 0 };
    });
  }

  /** Removes least recently used entries until this namespace's keys and values fit in `maxBytes`. */
  #evict(maxBytes: number): void {
    const used = () => {
      const row = this.#sql.size.get(this.#namespace) as SizeRow | undefined;
      return row === undefined ? 0 : row.valueBytes + row.keyBytes;
    };
    while (used() > maxBytes) {
      const oldest = this.#sql.oldest.all(this.#namespace, EVICT_BATCH) as { key: string }[];
      if (oldest.length === 0) return;
      for (const { key } of oldest) {
        this.#sql.delete.get(this.#namespace, key);
        this.touches.drop([key]);
        if (used() <= maxBytes) return;
      }
    }
  }

  #writeTouches(stamps: ReadonlyMap<string, number>): void {
    this.#file.write(() => {
      for (const [key, stamp] of stamps) this.#sql.touch.run(stamp, this.#namespace, key, stamp);
    });
  }
}

interface EntryKeyRow {
  key: string;
  expiresAt: number | null;
}

interface SizeRow {
  entries: number;
  valueBytes: number;
  keyBytes: number;
}
