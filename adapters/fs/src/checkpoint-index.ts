import { createHash } from "node:crypto";
import { lstatSync, readlinkSync, rmdirSync, symlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CorruptDataError } from "@stowage/core";
import { type AtomicFiles, errnoOf, inDir, unlinkQuietly } from "./atomic-file.js";
import { readIfExists } from "./checkpoint-file.js";
import { toRelativePath } from "./path-codec.js";
import { leavesDescending } from "./tree-walk.js";

/** Index directories are grouped by the first 6 characters of the id: a uuid6 prefix that turns over every ~2 hours. */
const FIRST_SEGMENT = 12;

/**
 * The cross-thread index of one namespace's checkpoints: a file per checkpoint named by its id
 * (hex) and a hash of its (thread, ns), holding [thread, ns]. Listing across threads walks it
 * newest first and stops at the page's limit.
 */
export class CheckpointIndex {
  readonly #dir: string;
  readonly #files: AtomicFiles;
  readonly #emptied = new Set<string>();

  constructor(dir: string, files: AtomicFiles) {
    this.#dir = dir;
    this.#files = files;
  }

  #entry(threadId: string, ns: string, id: string): string {
    return join(this.#dir, toRelativePath(id, `.${ownerHash(threadId, ns)}.i`, FIRST_SEGMENT));
  }

  /**
   * An entry is a symlink whose target is the JSON [thread, ns]: one syscall, written whole.
   * Owners too long for a symlink target (PATH_MAX) get a plain file, renamed into place whole.
   * The hash in the name is the entry's checksum: an owner that does not match it is damaged.
   */
  add(threadId: string, ns: string, id: string): void {
    const entry = this.#entry(threadId, ns, id);
    const owner = JSON.stringify([threadId, ns]);
    if (Buffer.byteLength(owner) > MAX_LINK_TARGET) {
      this.#files.replace(entry, [Buffer.from(owner, "utf8")]);
      return;
    }
    try {
      inDir(dirname(entry), () => symlinkSync(owner, entry));
    } catch (error) {
      if (errnoOf(error) !== "EEXIST") throw error; // the same checkpoint put again: same owner, same name
    }
  }

  /** Removes an entry (and, unless told not to, its bucket directories when they are left empty). */
  remove(threadId: string, ns: string, id: string, pruneBuckets = true): void {
    const entry = this.#entry(threadId, ns, id);
    unlinkQuietly(entry);
    if (pruneBuckets) removeEmptyParents(dirname(entry), this.#dir);
    else this.#emptied.add(dirname(entry));
  }

  /** Removes the bucket directories that remove(…, false) may have left empty. */
  removeEmptyBuckets(): void {
    for (const dir of this.#emptied) removeEmptyParents(dir, this.#dir);
    this.#emptied.clear();
  }

  has(threadId: string, ns: string, id: string): boolean {
    try {
      lstatSync(this.#entry(threadId, ns, id));
      return true;
    } catch {
      return false;
    }
  }

  /** Every (id, thread, ns) below `belowHex` (the hex of an id), newest first, read one entry at a time. */
  *newestFirst(belowHex: string | undefined): Generator<{ id: string; threadId: string; ns: string }> {
    for (const leaf of leavesDescending(this.#dir, ".i", belowHex)) {
      const text = readOwner(leaf.path);
      if (text === undefined) continue; // removed meanwhile
      const [threadId, ns] = parseOwner(text, leaf.path);
      yield { id: leaf.text, threadId, ns };
    }
  }
}

/** The hash of (thread, ns) in an entry's name. */
function ownerHash(threadId: string, ns: string): string {
  return createHash("sha1").update(threadId).update("\0").update(ns).digest("hex").slice(0, 24);
}

/** [thread, ns] of an entry, checked against the hash its name carries. */
function parseOwner(text: string, path: string): [string, string] {
  let owner: unknown;
  try {
    owner = JSON.parse(text);
  } catch (error) {
    throw new CorruptDataError(`checkpoint index entry ${path} is damaged (not JSON)`, { cause: error });
  }
  const hash = basename(path).split(".").at(-2);
  if (
    !Array.isArray(owner) ||
    owner.length !== 2 ||
    typeof owner[0] !== "string" ||
    typeof owner[1] !== "string" ||
    ownerHash(owner[0], owner[1]) !== hash
  ) {
    throw new CorruptDataError(`checkpoint index entry ${path} is damaged (its owner does not match its name)`);
  }
  return [owner[0], owner[1]];
}

/** Longest symlink target used for an entry: PATH_MAX (4096) less the NUL, with room to spare. */
const MAX_LINK_TARGET = 4000;

/** The owner JSON of an index entry: a symlink's target, or (older entries, long owners) a file's bytes. */
function readOwner(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return undefined;
    if (errnoOf(error) !== "EINVAL") throw error;
  }
  return readIfExists(path)?.toString("utf8");
}

/** rmdir `dir` and its parents up to (not including) `stop` while they are empty. */
export function removeEmptyParents(dir: string, stop: string): void {
  for (let at = dir; at.length > stop.length && at.startsWith(stop); at = dirname(at)) {
    try {
      rmdirSync(at);
    } catch {
      return;
    }
  }
}
