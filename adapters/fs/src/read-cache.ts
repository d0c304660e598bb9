import { fstatSync, type Stats, statfsSync, statSync } from "node:fs";
import { errnoOf } from "./atomic-file.js";

/**
 * A process-local cache of recently read small values that never serves one another process
 * overwrote, deleted or damaged since: every hit first stats each file and directory the value
 * was read from (one `stat` each, no open, no read) and is served only when all of them are
 * still the very inodes, sizes and times seen when it was read.
 *
 * Why a stat is enough: every change the store makes is a rename, link or unlink (a new inode
 * at the path, or a changed directory: new mtime and ctime) and damage in place is a write (new
 * mtime). What a stat cannot see is a change within the filesystem's timestamp granularity of
 * the read (same inode number reused, same size, same coarse-clock tick), so a value is cached
 * only when every file and directory it came from was last changed more than RACY_MS before the
 * read began (git's "racy clean" rule): anything that changes it later is stamped with a later
 * time. Timestamps of whole seconds (a filesystem with second granularity) are never trusted.
 * The rule needs the store's clock to be this machine's: the cache is on only on local
 * filesystems Linux stamps in nanoseconds (ext2/3/4, xfs, btrfs, tmpfs), never on NFS.
 */
const RACY_MS = 50;
/** Values larger than this are read from disk every time. */
export const MAX_CACHED_VALUE = 64 * 1024;

/** What a stat says of a file or directory: enough to see that it changed. */
export interface Seen {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** A path a cached value was read from, and what it was then (undefined: nothing was there). */
export type Check = readonly [path: string, seen: Seen | undefined];

export function seenOf(stats: Stats): Seen {
  return { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
}

/** The stat of `path` (undefined when it is not there), without throwing for a missing path. */
export function statIfExists(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if (errnoOf(error) === "ENOTDIR" || errnoOf(error) === "ENAMETOOLONG") return undefined;
    throw error;
  }
}

export function fstatSeen(fd: number): Seen {
  return seenOf(fstatSync(fd));
}

/** Whether `seen` was last changed long enough before `readAt` (ms, wall clock) for a later change to show. */
export function settledBefore(seen: Seen | undefined, readAt: number): boolean {
  if (seen === undefined) return true;
  const limit = readAt - RACY_MS;
  return seen.mtimeMs < limit && seen.ctimeMs < limit && seen.ctimeMs % 1000 !== 0 && seen.mtimeMs % 1000 !== 0;
}

function unchanged(check: Check): boolean {
  const [path, was] = check;
  const now = statIfExists(path);
  if (now === undefined || was === undefined) return now === was;
  return now.ino === was.ino && now.size === was.size && now.mtimeMs === was.mtimeMs && now.ctimeMs === was.ctimeMs;
}

interface Cached<T> {
  checks: readonly Check[];
  value: T;
  bytes: number;
}

/** Filesystem types (statfs f_type) whose timestamps come from this machine's clock in nanoseconds. */
const LOCAL_FS_TYPES = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994]);

/** Whether the read cache can be trusted on the filesystem holding `dir` (see the rule above). */
export function readCacheWorksOn(dir: string): boolean {
  if (process.platform !== "linux") return false;
  try {
    return LOCAL_FS_TYPES.has(Number(statfsSync(dir).type));
  } catch {
    return false;
  }
}

/** Served from memory after the checks; found changed (read again from disk). Shared by a backend's caches. */
export interface ReadCacheCounts {
  hits: number;
  stale: number;
}

/**
 * Values by key with the checks that keep them honest, bounded by total bytes (the oldest
 * insertion goes first). A `budget` of 0 caches nothing.
 */
export class ReadCache<T> {
  readonly #entries = new Map<string, Cached<T>>();
  readonly #budget: number;
  readonly #counts: ReadCacheCounts;
  #bytes = 0;

  constructor(budget: number, counts: ReadCacheCounts = { hits: 0, stale: 0 }) {
    this.#budget = budget;
    this.#counts = counts;
  }

  get enabled(): boolean {
    return this.#budget > 0;
  }

  /** The value cached for `key` when every path it was read from is unchanged; a stale one is dropped. */
  get(key: string): T | undefined {
    const cached = this.#entries.get(key);
    if (cached === undefined) return undefined;
    for (const check of cached.checks) {
      if (!unchanged(check)) {
        this.delete(key);
        this.#counts.stale++;
        return undefined;
      }
    }
    this.#counts.hits++;
    return cached.value;
  }

  /**
   * Keeps `value`, read from `checks` (each stat taken before its read) in a read that began at
   * `readAt`, unless one of them changed too recently to tell a later change from it.
   */
  set(key: string, value: T, bytes: number, checks: readonly Check[], readAt: number): void {
    this.delete(key);
    if (bytes > MAX_CACHED_VALUE || bytes > this.#budget) return;
    if (!checks.every(([, seen]) => settledBefore(seen, readAt))) return;
    this.#entries.set(key, { checks, value, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#budget) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  delete(key: string): void {
    const cached = this.#entries.get(key);
    if (cached === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= cached.bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
