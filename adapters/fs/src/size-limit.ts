import { lstatSync } from "node:fs";
import { assertWeightFits, wallNow } from "@stowage/core";
import { unlinkQuietly } from "./atomic-file.js";
import type { Leaf } from "./tree-walk.js";

/** Eviction goes below the limit by this fraction, so a full store does not rescan on every write. */
const HEADROOM = 0.9;
/** Other processes write too: the local estimate is recomputed from disk at least this often. */
const RESCAN_EVERY_WRITES = 1000;

let lastStamp = 0;

/**
 * A strictly increasing wall-clock stamp (ms, fractional) for file times: entries written or
 * read in the same millisecond still order correctly for LRU.
 */
export function lruStamp(): number {
  const now = wallNow();
  lastStamp = now > lastStamp ? now : lastStamp + 0.001;
  return lastStamp;
}

/**
 * Keeps one namespace's cache files under a byte limit, evicting least recently used first.
 * A file's mtime is its last access: writes and reads set it (one futimes per read, paid only
 * when a limit is set), and eviction sorts every file by it, so eviction costs a scan of the
 * namespace — paid once per ~10% of the limit written, not per write.
 */
export class SizeLimit {
  readonly maxBytes: number;
  readonly #files: () => Iterable<Leaf>;
  #estimate: number | undefined;
  #writes = 0;

  /** `files` lists every entry file of the namespace. */
  constructor(files: () => Iterable<Leaf>, maxBytes: number) {
    this.#files = files;
    this.maxBytes = maxBytes;
  }

  /** Refuses (ERR_VALUE_TOO_LARGE) an entry file that alone exceeds the limit, before it is written. */
  assertFits(key: string, fileBytes: number): void {
    assertWeightFits(key, fileBytes, this.maxBytes);
  }

  /** Records a write of `path` that changed the namespace by `deltaBytes`; evicts (never that file) when past the limit. */
  wrote(deltaBytes: number, path?: string): void {
    if (this.#estimate === undefined || ++this.#writes >= RESCAN_EVERY_WRITES) {
      this.#writes = 0;
      this.#estimate = this.#scan().total;
    } else {
      this.#estimate += deltaBytes;
    }
    if (this.#estimate > this.maxBytes) this.evict(path);
  }

  /** Removes least recently used files until the namespace is under the limit (with headroom), keeping `keep`. */
  evict(keep?: string): void {
    const { files, total } = this.#scan();
    let left = total;
    if (left > this.maxBytes) {
      files.sort((a, b) => a.mtimeMs - b.mtimeMs);
      const goal = this.maxBytes * HEADROOM;
      for (const file of files) {
        if (left <= goal) break;
        // The file just written stays: it fits the limit alone, only the headroom goal is below it.
        if (file.path === keep) continue;
        if (unlinkQuietly(file.path)) left -= file.size;
      }
    }
    this.#estimate = left;
  }

  forget(): void {
    this.#estimate = undefined;
  }

  #scan(): { files: { path: string; size: number; mtimeMs: number }[]; total: number } {
    const files: { path: string; size: number; mtimeMs: number }[] = [];
    let total = 0;
    for (const leaf of this.#files()) {
      try {
        const stat = lstatSync(leaf.path);
        files.push({ path: leaf.path, size: stat.size, mtimeMs: stat.mtimeMs });
        total += stat.size;
      } catch {
        // Removed meanwhile.
      }
    }
    return { files, total };
  }
}
