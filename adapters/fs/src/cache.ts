import { closeSync, fstatSync, lstatSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import {
  addToCounter,
  type CacheDriver,
  decodeCounter,
  type EntryUpdate,
  encodeCounter,
  isExpired,
  isStowageError,
  monotonicNow,
  type StoredEntry,
  sleep,
  wallNow,
} from "@stowage/core";
import { type AtomicFiles, errnoOf, openIfExists, unlinkQuietly } from "./atomic-file.js";
import { type EntryHeader, encodeEntry, HEADER_BYTES, readEntry, readEntryHeader } from "./entry-file.js";
import type { KeyMutex } from "./key-mutex.js";
import { SEGMENT, shardOf, toHex, toRelativePath } from "./path-codec.js";
import { ReadCache, type ReadCacheCounts } from "./read-cache.js";
import { lruStamp, SizeLimit } from "./size-limit.js";
import { type Leaf, leaves, pruneEmptyDirs } from "./tree-walk.js";

const SUFFIX = ".v";
/** A first-format file (written in place by older releases) still not whole after this long was cut short by a crash. */
const INCOMPLETE_AFTER_MS = 60_000;
/** gc's claim on one entry file while it removes it: `<entry>g`, a symlink to the wall-clock time it was taken. */
const CLAIM = "g";
/** A claim older than this was left by a gc that crashed; a live gc drops its own claim long before. */
const CLAIM_STALE_MS = 2_000;
let trashSequence = 0;

/**
 * One namespace of the cache: a file per key under `<dir>/<shard>/<hex segments>.v`. Plain
 * writes are one rename; read-modify-writes (incr, add over an expired entry, update) hold the
 * key's lease from KeyMutex. A `set` or `delete` is not serialised with them: it is one atomic
 * file operation that lands before or after a read-modify-write's own rename. gc() removes an
 * expired file under a claim (see #removeIfStillDoomed) that every write checks before it returns.
 */
export class FsCacheDriver implements CacheDriver {
  readonly #dir: string;
  readonly #files: AtomicFiles;
  readonly #mutex: KeyMutex;
  readonly #limit: SizeLimit | undefined;
  /** Recently read entries by path, each checked with one stat before it is served (read-cache.ts). */
  readonly #reads: ReadCache<StoredEntry>;

  /**
   * `readCacheBytes` bounds the read cache (0: none). With a size limit there is none: every read
   * stamps its file for the LRU, which no stat-checked copy could do.
   */
  constructor(
    dir: string,
    files: AtomicFiles,
    mutex: KeyMutex,
    maxSizeBytes: number | undefined,
    readCacheBytes = 0,
    counts?: ReadCacheCounts,
  ) {
    this.#dir = dir;
    this.#files = files;
    this.#mutex = mutex;
    this.#limit = maxSizeBytes === undefined ? undefined : new SizeLimit(() => this.#allFiles(), maxSizeBytes);
    this.#reads = new ReadCache(this.#limit ? 0 : readCacheBytes, counts);
  }

  #path(key: string): string {
    const hex = toHex(key);
    // The usual short key is one file name: no segment splitting, no path normalisation.
    if (hex.length <= SEGMENT) return `${this.#dir}/${shardOf(key)}/${hex}${SUFFIX}`;
    return join(this.#dir, shardOf(key), toRelativePath(key, SUFFIX));
  }

  #live(key: string): StoredEntry | undefined {
    const path = this.#path(key);
    if (!this.#reads.enabled) {
      const entry = readEntry(path, this.#limit ? lruStamp() : undefined);
      return entry && !isExpired(entry.expiresAt) ? entry : undefined;
    }
    let entry = this.#reads.get(path);
    if (entry === undefined) {
      const readAt = wallNow();
      const read = readEntry(path, undefined, true);
      if (read === undefined) return undefined;
      entry = read.entry;
      this.#reads.set(path, entry, entry.value.byteLength, [[path, read.seen]], readAt);
    }
    // A copy: the caller may keep or change what it gets.
    return isExpired(entry.expiresAt) ? undefined : { value: Buffer.from(entry.value), expiresAt: entry.expiresAt };
  }

  /**
   * Writes an entry file, whole: "set" and "replace" by rename, "create" only when absent, by
   * link. No file is written in place, so one that does not check out is damage (entry-file.ts).
   * Keeps the size limit's books.
   */
  #write(path: string, entry: StoredEntry, mode: "set" | "replace" | "create", key: string): boolean {
    this.#limit?.assertFits(key, HEADER_BYTES + entry.value.byteLength);
    this.#reads.delete(path);
    const chunks = encodeEntry(entry);
    const stamp = this.#limit ? lruStamp() : undefined;
    let before = 0;
    if (mode === "create") {
      if (!this.#files.create(path, chunks, stamp)) return false;
    } else {
      if (this.#limit) before = sizeOf(path);
      this.#files.replace(path, chunks, stamp);
    }
    this.#limit?.wrote(HEADER_BYTES + entry.value.byteLength - before, path);
    return true;
  }

  /** Moves the file aside and reads what it held: the answer is exact even when a writer races. */
  #remove(path: string): EntryHeader | undefined {
    this.#reads.delete(path);
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
    return this.#live(key);
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    return keys.map((key) => this.#live(key));
  }

  async set(key: string, entry: StoredEntry): Promise<void> {
    const path = this.#path(key);
    this.#write(path, entry, "set", key);
    await this.#settle(path, entry, key);
  }

  async setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void> {
    // Every entry is checked against the limit before the first is written.
    for (const { key, entry } of entries) this.#limit?.assertFits(key, HEADER_BYTES + entry.value.byteLength);
    const paths = entries.map(({ key, entry }) => {
      const path = this.#path(key);
      this.#write(path, entry, "set", key);
      return path;
    });
    for (const [i, { key, entry }] of entries.entries()) await this.#settle(paths[i] as string, entry, key);
  }

  /**
   * Returns once no gc() can still move the file just written at `path` out of sight: a gc that
   * judged the previous (expired) file doomed holds a claim until it has put a newer file back.
   */
  async #settle(path: string, entry: StoredEntry | undefined, key: string): Promise<void> {
    const claim = path + CLAIM;
    if (claimedAt(claim) === undefined) return;
    for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
      await sleep(pause);
      const since = claimedAt(claim);
      if (since === undefined) return;
      if (wallNow() - since > CLAIM_STALE_MS) break;
    }
    // Its gc crashed, maybe holding this write aside: written again unless a newer one is there.
    if (entry && readEntryHeader(path) === undefined) this.#write(path, entry, "create", key);
  }

  async add(key: string, entry: StoredEntry): Promise<boolean> {
    const path = this.#path(key);
    // No file at all: a link that fails when another process got there first decides it.
    const added =
      this.#write(path, entry, "create", key) ||
      (await this.#mutex.run(shardOf(key), key, () => {
        const current = readEntryHeader(path);
        if (isLive(current)) return false;
        return this.#write(path, entry, current ? "replace" : "create", key);
      }));
    if (added) await this.#settle(path, entry, key);
    return added;
  }

  async delete(key: string): Promise<boolean> {
    const removed = this.#remove(this.#path(key));
    if (removed) this.#limit?.forget();
    return isLive(removed);
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    let count = 0;
    for (const key of new Set(keys)) {
      if (isLive(this.#remove(this.#path(key)))) count++;
    }
    this.#limit?.forget();
    return count;
  }

  async incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    const path = this.#path(key);
    let written: StoredEntry | undefined;
    const next = await this.#mutex.run(shardOf(key), key, () => {
      // An absent key is created by link, so a lock-free add that landed meanwhile is seen, not
      // overwritten; a first-format file an older release left unfinished is replaced.
      for (let there = false; ; there = true) {
        const current = readEntry(path);
        const live = current && !isExpired(current.expiresAt) ? current : undefined;
        const next = addToCounter(live ? decodeCounter(live.value, key) : 0, by, key);
        written = { value: encodeCounter(next), expiresAt: live ? live.expiresAt : expiresAtIfCreated };
        if (this.#write(path, written, current || there ? "replace" : "create", key)) return next;
      }
    });
    await this.#settle(path, written, key);
    return next;
  }

  async update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void> {
    const path = this.#path(key);
    let written: StoredEntry | undefined;
    await this.#mutex.run(shardOf(key), key, () => {
      for (let there = false; ; there = true) {
        const current = readEntry(path);
        const next = fn(current && !isExpired(current.expiresAt) ? current : undefined);
        if (next === undefined) return;
        if (next === null) {
          if (current) this.#remove(path);
          return;
        }
        if (this.#write(path, next, current || there ? "replace" : "create", key)) {
          written = next;
          return;
        }
      }
    });
    if (written) await this.#settle(path, written, key);
  }

  async *keys(prefix: string): AsyncIterable<string> {
    for (const leaf of this.#allFiles()) {
      if (!leaf.text.startsWith(prefix)) continue;
      // A damaged entry is ERR_CORRUPT_DATA here too: a listing that skipped it would say the key is gone.
      if (isLive(readEntryHeader(leaf.path))) yield leaf.text;
    }
  }

  async clear(): Promise<void> {
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
    this.#reads.clear();
    this.#limit?.forget();
  }

  async gc(): Promise<number> {
    let removed = this.#files.sweep();
    const now = wallNow();
    for (const leaf of this.#allFiles()) {
      let doomed: boolean;
      try {
        doomed = isDoomed(readEntryHeader(leaf.path), now);
      } catch (error) {
        if (!isCorrupt(error)) throw error;
        doomed = true;
      }
      if (doomed && this.#removeIfStillDoomed(leaf.path)) removed++;
    }
    pruneEmptyDirs(this.#dir);
    this.#limit?.forget();
    return removed;
  }

  /**
   * Removes a doomed entry file unless a writer replaced it. POSIX has no "unlink if still this
   * file", so under a claim (writers that see it do not return until it is gone) the file is
   * judged again, moved aside, and put back when what moved was not the file judged: a set that
   * landed in between. Writes landing while it is aside are older than the one put back.
   */
  #removeIfStillDoomed(path: string): boolean {
    const claim = path + CLAIM;
    if (!takeClaim(claim)) return false;
    const claimed = monotonicNow();
    try {
      const judged = inodeIfDoomed(path);
      // Too slow to trust the claim (a writer may already have judged it stale): next gc.
      if (judged === undefined || monotonicNow() - claimed > CLAIM_STALE_MS / 4) return false;
      const trash = join(this.#files.tmpDir, `${process.pid}.gc.${++trashSequence}`);
      try {
        renameSync(path, trash);
      } catch (error) {
        if (errnoOf(error) === "ENOENT") return false;
        throw error;
      }
      if (lstatSync(trash).ino === judged) {
        unlinkQuietly(trash);
        return true;
      }
      try {
        renameSync(trash, path);
      } catch (error) {
        unlinkQuietly(trash);
        if (errnoOf(error) !== "ENOENT") throw error; // ENOENT: clear() took the shard meanwhile
      }
      return false;
    } finally {
      unlinkQuietly(claim);
    }
  }

  async size(): Promise<{ entries: number; bytes: number }> {
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

/** An entry file written whole and not expired. */
function isLive(header: EntryHeader | undefined): boolean {
  return header?.complete === true && !isExpired(header.expiresAt);
}

/** What gc removes: expired entries, and files left incomplete (by a crash) for longer than any write takes. */
function isDoomed(header: EntryHeader | undefined, now: number): boolean {
  if (header === undefined) return false;
  return isExpired(header.expiresAt, now) || (!header.complete && now - header.mtimeMs > INCOMPLETE_AFTER_MS);
}

/** The inode of the entry file at `path` when gc may remove it (expired, left incomplete, or damaged). */
function inodeIfDoomed(path: string): number | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    const ino = fstatSync(fd).ino;
    let doomed = true;
    try {
      doomed = isDoomed(readEntryHeader(path), wallNow());
    } catch (error) {
      if (!isCorrupt(error)) throw error;
    }
    // Judged through the path again: the same inode still there means the header read was of it.
    return doomed && lstatSync(path).ino === ino ? ino : undefined;
  } finally {
    closeSync(fd);
  }
}

/** Takes gc's claim on an entry; false when another gc holds it (a crashed one's stale claim goes, for the next gc). */
function takeClaim(claim: string): boolean {
  try {
    symlinkSync(String(wallNow()), claim);
    return true;
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return false;
    if (errnoOf(error) !== "EEXIST") throw error;
  }
  const since = claimedAt(claim);
  if (since !== undefined && wallNow() - since > CLAIM_STALE_MS) unlinkQuietly(claim);
  return false;
}

/** When gc claimed the entry (wall clock); undefined when no claim is there. */
function claimedAt(claim: string): number | undefined {
  // The usual answer, no claim, without the exception a failed readlink costs.
  if (lstatSync(claim, { throwIfNoEntry: false }) === undefined) return undefined;
  try {
    return Number(readlinkSync(claim));
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return undefined;
    throw error;
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
