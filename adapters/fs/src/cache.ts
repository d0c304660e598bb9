import { linkSync, lstatSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  addToCounter,
  type CacheDriver,
  decodeCounter,
  type EntryUpdate,
  encodeCounter,
  isExpired,
  isStowageError,
  type StoredEntry,
} from "@stowage/core";
import { type AtomicFiles, ensureDir, errnoOf, unlinkQuietly } from "./atomic-file.js";
import { encodeEntry, HEADER_BYTES, readEntry, readEntryHeader } from "./entry-file.js";
import type { KeyMutex } from "./key-mutex.js";
import { shardOf, toRelativePath } from "./path-codec.js";
import { lruStamp, SizeLimit } from "./size-limit.js";
import { type Leaf, leaves, pruneEmptyDirs } from "./tree-walk.js";

const SUFFIX = ".v";
let trashSequence = 0;

/**
 * One namespace of the cache: a file per key under `<dir>/<shard>/<hex segments>.v`. Plain
 * writes are one rename; read-modify-writes (incr, add over an expired entry, update) hold the
 * key's lease from KeyMutex. A `set` or `delete` is not serialised with them: it is one atomic
 * file operation that lands before or after a read-modify-write's own rename.
 */
export class FsCacheDriver implements CacheDriver {
  readonly #dir: string;
  readonly #files: AtomicFiles;
  readonly #mutex: KeyMutex;
  readonly #limit: SizeLimit | undefined;
  readonly #open: () => void;

  constructor(dir: string, files: AtomicFiles, mutex: KeyMutex, maxSizeBytes: number | undefined, open: () => void) {
    this.#dir = dir;
    this.#files = files;
    this.#mutex = mutex;
    this.#open = open;
    this.#limit = maxSizeBytes === undefined ? undefined : new SizeLimit(() => this.#allFiles(), maxSizeBytes);
    ensureDir(dir);
  }

  #path(key: string): string {
    return join(this.#dir, shardOf(key), toRelativePath(key, SUFFIX));
  }

  #live(key: string): StoredEntry | undefined {
    const entry = readEntry(this.#path(key), this.#limit ? lruStamp() : undefined);
    return entry && !isExpired(entry.expiresAt) ? entry : undefined;
  }

  /** Writes an entry file (replacing, or only when absent); keeps the size limit's books. */
  #write(path: string, entry: StoredEntry, mode: "replace" | "create"): boolean {
    const chunks = encodeEntry(entry);
    if (!this.#limit) {
      if (mode === "create") return this.#files.create(path, chunks);
      this.#files.replace(path, chunks);
      return true;
    }
    const before = mode === "replace" ? sizeOf(path) : 0;
    const stamp = lruStamp();
    if (mode === "create") {
      if (!this.#files.create(path, chunks, stamp)) return false;
    } else this.#files.replace(path, chunks, stamp);
    this.#limit.wrote(HEADER_BYTES + entry.value.byteLength - before);
    return true;
  }

  /** Moves the file aside and reads what it held: the answer is exact even when a writer races. */
  #remove(path: string): { expiresAt: number | null } | undefined {
    const trash = join(this.#files.tmpDir, `${process.pid}.trash.${++trashSequence}`);
    try {
      renameSync(path, trash);
    } catch (error) {
      if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return undefined;
      throw error;
    }
    try {
      return readEntryHeader(trash);
    } catch (error) {
      if (isCorrupt(error)) return undefined;
      throw error;
    } finally {
      unlinkQuietly(trash);
    }
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
    this.#write(this.#path(key), entry, "replace");
  }

  async setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void> {
    this.#open();
    for (const { key, entry } of entries) this.#write(this.#path(key), entry, "replace");
  }

  async add(key: string, entry: StoredEntry): Promise<boolean> {
    this.#open();
    const path = this.#path(key);
    // No file at all: a link that fails when another process got there first decides it.
    if (this.#write(path, entry, "create")) return true;
    return this.#mutex.run(shardOf(key), key, () => {
      const current = readEntryHeader(path);
      if (current && !isExpired(current.expiresAt)) return false;
      return this.#write(path, entry, current ? "replace" : "create");
    });
  }

  async delete(key: string): Promise<boolean> {
    this.#open();
    const removed = this.#remove(this.#path(key));
    if (removed) this.#limit?.forget();
    return removed !== undefined && !isExpired(removed.expiresAt);
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    this.#open();
    let count = 0;
    for (const key of new Set(keys)) {
      const removed = this.#remove(this.#path(key));
      if (removed && !isExpired(removed.expiresAt)) count++;
    }
    this.#limit?.forget();
    return count;
  }

  async incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    this.#open();
    const path = this.#path(key);
    return this.#mutex.run(shardOf(key), key, () => {
      for (;;) {
        const current = readEntry(path);
        const live = current && !isExpired(current.expiresAt) ? current : undefined;
        const next = addToCounter(live ? decodeCounter(live.value, key) : 0, by, key);
        const entry = { value: encodeCounter(next), expiresAt: live ? live.expiresAt : expiresAtIfCreated };
        // An absent key is created by link, so a lock-free add that landed meanwhile is seen, not overwritten.
        if (this.#write(path, entry, current ? "replace" : "create")) return next;
      }
    });
  }

  async update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void> {
    this.#open();
    const path = this.#path(key);
    await this.#mutex.run(shardOf(key), key, () => {
      for (;;) {
        const current = readEntry(path);
        const next = fn(current && !isExpired(current.expiresAt) ? current : undefined);
        if (next === undefined) return;
        if (next === null) {
          if (current) this.#remove(path);
          return;
        }
        if (this.#write(path, next, current ? "replace" : "create")) return;
      }
    });
  }

  async *keys(prefix: string): AsyncIterable<string> {
    this.#open();
    for (const leaf of this.#allFiles()) {
      if (!leaf.text.startsWith(prefix)) continue;
      let header: { expiresAt: number | null } | undefined;
      try {
        header = readEntryHeader(leaf.path);
      } catch (error) {
        if (isCorrupt(error)) continue;
        throw error;
      }
      if (header && !isExpired(header.expiresAt)) yield leaf.text;
    }
  }

  async clear(): Promise<void> {
    this.#open();
    for (const shard of this.#shards()) {
      const trash = join(this.#files.tmpDir, `${process.pid}.clear.${++trashSequence}`);
      try {
        renameSync(join(this.#dir, shard), trash);
      } catch (error) {
        if (errnoOf(error) === "ENOENT") continue;
        throw error;
      }
      rmSync(trash, { recursive: true, force: true });
    }
    this.#limit?.forget();
  }

  async gc(): Promise<number> {
    this.#open();
    let removed = this.#files.sweep();
    const now = Date.now();
    for (const leaf of this.#allFiles()) {
      let expired: boolean;
      try {
        const header = readEntryHeader(leaf.path);
        expired = header !== undefined && isExpired(header.expiresAt, now);
      } catch (error) {
        if (!isCorrupt(error)) throw error;
        expired = true;
      }
      if (expired && this.#removeIfStillExpired(leaf.path)) removed++;
    }
    pruneEmptyDirs(this.#dir);
    this.#limit?.forget();
    return removed;
  }

  /** Moves an expired file aside; if a writer replaced it meanwhile, the fresh one goes back unless a newer one is there. */
  #removeIfStillExpired(path: string): boolean {
    const trash = join(this.#files.tmpDir, `${process.pid}.gc.${++trashSequence}`);
    try {
      renameSync(path, trash);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return false;
      throw error;
    }
    try {
      let header: { expiresAt: number | null } | undefined;
      try {
        header = readEntryHeader(trash);
      } catch (error) {
        if (!isCorrupt(error)) throw error;
      }
      if (header === undefined || isExpired(header.expiresAt)) return true;
      try {
        linkSync(trash, path);
      } catch (error) {
        if (errnoOf(error) === "ENOENT") {
          ensureDir(dirname(path));
          try {
            linkSync(trash, path);
          } catch {}
        }
        // EEXIST: a newer value is there, and it wins.
      }
      return false;
    } finally {
      unlinkQuietly(trash);
    }
  }

  async size(): Promise<{ entries: number; bytes: number }> {
    this.#open();
    let entries = 0;
    let bytes = 0;
    for (const leaf of this.#allFiles()) {
      const size = sizeOf(leaf.path);
      if (size === 0) continue;
      entries++;
      bytes += size - HEADER_BYTES;
    }
    return { entries, bytes };
  }

  #shards(): string[] {
    try {
      return readdirSync(this.#dir).filter((name) => /^[0-9a-f]{2}$/.test(name));
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return [];
      throw error;
    }
  }

  *#allFiles(): Generator<Leaf> {
    for (const shard of this.#shards()) yield* leaves(join(this.#dir, shard), SUFFIX);
  }
}

function isCorrupt(error: unknown): boolean {
  return isStowageError(error, "ERR_CORRUPT_DATA");
}

function sizeOf(path: string): number {
  try {
    return lstatSync(path).size;
  } catch {
    return 0;
  }
}
