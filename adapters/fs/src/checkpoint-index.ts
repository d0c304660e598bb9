import { createHash } from "node:crypto";
import { rmdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { type AtomicFiles, unlinkQuietly } from "./atomic-file.js";
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

  constructor(dir: string, files: AtomicFiles) {
    this.#dir = dir;
    this.#files = files;
  }

  #entry(threadId: string, ns: string, id: string): string {
    const owner = createHash("sha1").update(threadId).update("\0").update(ns).digest("hex").slice(0, 24);
    return join(this.#dir, toRelativePath(id, `.${owner}.i`, FIRST_SEGMENT));
  }

  add(threadId: string, ns: string, id: string): void {
    this.#files.createOrReplace(this.#entry(threadId, ns, id), [Buffer.from(JSON.stringify([threadId, ns]), "utf8")]);
  }

  remove(threadId: string, ns: string, id: string): void {
    const entry = this.#entry(threadId, ns, id);
    unlinkQuietly(entry);
    removeEmptyParents(dirname(entry), this.#dir);
  }

  has(threadId: string, ns: string, id: string): boolean {
    try {
      statSync(this.#entry(threadId, ns, id));
      return true;
    } catch {
      return false;
    }
  }

  /** Every (id, thread, ns) below `belowHex` (the hex of an id), newest first, read one entry at a time. */
  *newestFirst(belowHex: string | undefined): Generator<{ id: string; threadId: string; ns: string }> {
    for (const leaf of leavesDescending(this.#dir, ".i", belowHex)) {
      const bytes = readIfExists(leaf.path);
      if (!bytes) continue;
      let owner: [string, string];
      try {
        owner = JSON.parse(bytes.toString("utf8")) as [string, string];
      } catch {
        continue; // still being written
      }
      yield { id: leaf.text, threadId: owner[0], ns: owner[1] };
    }
  }
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
