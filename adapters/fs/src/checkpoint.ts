import { readdirSync, renameSync, rmdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  type CheckpointDriver,
  type CheckpointPageQuery,
  isExpired,
  type LoadedCheckpoint,
  type StoredBlob,
  type StoredCheckpoint,
  type StoredWrite,
} from "@stowage/core";
import { type AtomicFiles, errnoOf, unlinkQuietly } from "./atomic-file.js";
import {
  decodeBlob,
  decodeCheckpoint,
  decodeWrite,
  encodeBlob,
  encodeCheckpoint,
  encodeWrite,
  readIfExists,
} from "./checkpoint-file.js";
import { CheckpointIndex, removeEmptyParents } from "./checkpoint-index.js";
import {
  allCheckpointFiles,
  archivePath,
  type CheckpointLeaf,
  compact,
  dropFloorMarkers,
  ensureRecentDir,
  newestFirst,
  RECENT_MAX,
  recentPath,
} from "./checkpoint-layout.js";
import { shardOf, toHex, toRelativePath } from "./path-codec.js";
import { lruStamp } from "./size-limit.js";
import { type Leaf, leaves, pruneEmptyDirs } from "./tree-walk.js";

let trashSequence = 0;

const blobName = (channel: string, version: string | number) => JSON.stringify([channel, version]);

/**
 * One namespace of checkpoints. Each thread is one directory, so deleteThread is one rename and
 * one rm -rf:
 *
 *   threads/<shard>/<thread>.t/<ns>.n/~c/<id>.c              the newest checkpoints (metadata + payload)
 *                                     ~a/…/<id>.c              older ones, bucketed by id prefix
 *                                     <[channel,version]>.b    one file per channel version
 *                                     <id>.w/<[task,index]>.x  its pending writes
 *   (the default ns "" keeps the same files in <thread>.t itself)
 *   index/<id>.<hash of thread and ns>.i                       for listing across threads
 *
 * Names are hex (path-codec.ts) and tagged by kind, so sorted listings are the thread's history
 * and a page reads only the files it returns; checkpoint-layout.ts keeps the listings short. Every
 * file is renamed (or linked) into place whole and carries a checksum (checkpoint-file.ts).
 */
export class FsCheckpointDriver implements CheckpointDriver {
  readonly #threads: string;
  readonly #index: CheckpointIndex;
  readonly #files: AtomicFiles;
  readonly #open: () => void;
  /** ns directories this process has seen with a ~c, and how many puts it made there since it last compacted. */
  readonly #puts = new Map<string, number>();

  constructor(dir: string, files: AtomicFiles, open: () => void) {
    this.#threads = join(dir, "threads");
    this.#index = new CheckpointIndex(join(dir, "index"), files);
    this.#files = files;
    this.#open = open;
  }

  #threadDir(threadId: string): string {
    return join(this.#threads, shardOf(threadId), toRelativePath(threadId, ".t"));
  }

  /** The default ns ("") lives in the thread directory itself: one mkdir less per new thread. */
  #nsDir(threadId: string, ns: string): string {
    const threadDir = this.#threadDir(threadId);
    return ns === "" ? threadDir : join(threadDir, toRelativePath(ns, ".n"));
  }

  #readCheckpoint(path: string): StoredCheckpoint | undefined {
    const bytes = readIfExists(path);
    return bytes && decodeCheckpoint(bytes, path);
  }

  /** Reads a checkpoint found by a walk, following it to the archive if it moved meanwhile. */
  #readLeaf(leaf: CheckpointLeaf): StoredCheckpoint | undefined {
    for (const path of leaf.paths) {
      const checkpoint = this.#readCheckpoint(path);
      if (checkpoint) return checkpoint;
    }
    return undefined;
  }

  /** A checkpoint by id, wherever the layout keeps it. */
  #readById(dir: string, id: string): StoredCheckpoint | undefined {
    return this.#readLeaf({
      text: id,
      hex: "",
      paths: [recentPath(dir, id), archivePath(dir, id), join(dir, toRelativePath(id, ".c"))],
    });
  }

  /** The (ns, directory) pairs of a thread, or only `ns`'s. */
  #nsDirs(threadId: string, ns: string | undefined): { ns: string; dir: string }[] {
    if (ns !== undefined) return [{ ns, dir: this.#nsDir(threadId, ns) }];
    const threadDir = this.#threadDir(threadId);
    const named = [...leaves(threadDir, ".n")].map((leaf) => ({ ns: leaf.text, dir: leaf.path }));
    return [{ ns: "", dir: threadDir }, ...named];
  }

  async put(checkpoint: StoredCheckpoint, blobs: readonly StoredBlob[]): Promise<void> {
    this.#open();
    const dir = this.#nsDir(checkpoint.threadId, checkpoint.ns);
    const puts = this.#puts.get(dir);
    if (puts === undefined) {
      if (this.#puts.size > 10_000) this.#puts.clear();
      ensureRecentDir(dir);
    }
    this.#puts.set(dir, (puts ?? 0) + 1);
    for (const blob of blobs) {
      this.#files.replace(
        join(dir, toRelativePath(blobName(blob.channel, blob.version), ".b")),
        encodeBlob(blob.value),
      );
    }
    // Index first: a checkpoint that can be read is always listed; a crash leaves at most a dangling index entry.
    this.#index.add(checkpoint.threadId, checkpoint.ns, checkpoint.id);
    // Renamed into place whole: a checkpoint file that does not check out is damage, never a put in progress.
    this.#files.replace(recentPath(dir, checkpoint.id), encodeCheckpoint(checkpoint));
    if (puts !== undefined && puts % RECENT_MAX === 0) compact(dir);
  }

  async get(threadId: string, ns: string, id: string | undefined): Promise<LoadedCheckpoint | undefined> {
    this.#open();
    const dir = this.#nsDir(threadId, ns);
    let found: StoredCheckpoint | undefined;
    if (id !== undefined) {
      found = this.#readById(dir, id);
      if (found && isExpired(found.expiresAt)) found = undefined;
    } else {
      for (const leaf of newestFirst(dir, undefined)) {
        found = this.#readLeaf(leaf);
        if (found && !isExpired(found.expiresAt)) break;
        found = undefined;
      }
    }
    if (!found) return undefined;
    const blobs: StoredBlob[] = [];
    for (const [channel, version] of Object.entries(found.channels)) {
      const path = join(dir, toRelativePath(blobName(channel, version), ".b"));
      const bytes = readIfExists(path);
      if (bytes) blobs.push({ channel, version, value: decodeBlob(bytes, path) });
    }
    const writes = [...leaves(join(dir, toRelativePath(found.id, ".w")), ".x")]
      .map((leaf) => {
        const bytes = readIfExists(leaf.path);
        return bytes && decodeWrite(bytes, leaf.path);
      })
      .filter((write) => write !== undefined)
      .sort((a, b) => a.stamp - b.stamp)
      .map(({ stamp: _stamp, ...write }) => write);
    return { ...found, blobs, writes };
  }

  async listPage(query: CheckpointPageQuery): Promise<StoredCheckpoint[]> {
    this.#open();
    const belowHex = query.before === undefined ? undefined : toHex(query.before);
    if (query.threadId === undefined) return this.#listAcrossThreads(query, belowHex);
    const page: StoredCheckpoint[] = [];
    for (const { dir } of this.#nsDirs(query.threadId, query.ns)) {
      let taken = 0;
      for (const leaf of newestFirst(dir, belowHex)) {
        const checkpoint = this.#readLeaf(leaf);
        if (!checkpoint || isExpired(checkpoint.expiresAt)) continue;
        page.push(checkpoint);
        if (++taken >= query.limit) break;
      }
    }
    return page.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, query.limit);
  }

  #listAcrossThreads(query: CheckpointPageQuery, belowHex: string | undefined): StoredCheckpoint[] {
    const page: StoredCheckpoint[] = [];
    for (const entry of this.#index.newestFirst(belowHex)) {
      if (query.ns !== undefined && entry.ns !== query.ns) continue;
      const checkpoint = this.#readById(this.#nsDir(entry.threadId, entry.ns), entry.id);
      if (checkpoint && !isExpired(checkpoint.expiresAt)) page.push(checkpoint);
      if (page.length >= query.limit) break;
    }
    return page;
  }

  async putWrites(threadId: string, ns: string, checkpointId: string, writes: readonly StoredWrite[]): Promise<void> {
    this.#open();
    const dir = join(this.#nsDir(threadId, ns), toRelativePath(checkpointId, ".w"));
    for (const write of writes) {
      const path = join(dir, toRelativePath(JSON.stringify([write.taskId, write.index]), ".x"));
      if (write.index >= 0) {
        // Kept when (taskId, index) is already there: a link that fails on an existing file decides it.
        this.#files.create(path, encodeWrite(write, lruStamp()));
      } else {
        const existing = readIfExists(path);
        const stamp = existing ? decodeWrite(existing, path).stamp : lruStamp();
        this.#files.replace(path, encodeWrite(write, stamp));
      }
    }
  }

  async deleteThread(threadId: string): Promise<void> {
    this.#open();
    const threadDir = this.#threadDir(threadId);
    for (const { ns, dir } of this.#nsDirs(threadId, undefined)) {
      for (const id of allCheckpointFiles(dir).keys()) this.#index.remove(threadId, ns, id, false);
      this.#puts.delete(dir);
    }
    this.#index.removeEmptyBuckets();
    const trash = join(this.#files.tmpDir, `${process.pid}.thread.${++trashSequence}`);
    try {
      renameSync(threadDir, trash);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return;
      throw error;
    }
    rmSync(trash, { recursive: true, force: true });
    removeEmptyParents(dirname(threadDir), this.#threads);
  }

  /** Removes a checkpoint's files, writes and index entry; returns how many records went. */
  #dropCheckpoint(threadId: string, ns: string, dir: string, id: string, paths: readonly string[]): number {
    const writesDir = join(dir, toRelativePath(id, ".w"));
    const writes = [...leaves(writesDir, ".x")].length;
    rmSync(writesDir, { recursive: true, force: true });
    this.#index.remove(threadId, ns, id);
    let removed = false;
    for (const path of paths) if (unlinkQuietly(path)) removed = true;
    return (removed ? 1 : 0) + writes;
  }

  /** Removes blobs of an ns directory that none of `kept` names; returns how many. */
  #dropOrphanBlobs(dir: string, kept: readonly StoredCheckpoint[]): number {
    const named = new Set<string>();
    for (const checkpoint of kept) {
      for (const [channel, version] of Object.entries(checkpoint.channels)) named.add(blobName(channel, version));
    }
    let removed = 0;
    for (const blob of leaves(dir, ".b")) {
      if (!named.has(blob.text) && unlinkQuietly(blob.path)) removed++;
    }
    return removed;
  }

  async prune(threadId: string, keepLast: number, ns: string | undefined): Promise<number> {
    this.#open();
    let removed = 0;
    for (const { ns: checkpointNs, dir } of this.#nsDirs(threadId, ns)) {
      const files = allCheckpointFiles(dir);
      const all = [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(b), Buffer.from(a)));
      for (const doomed of all.slice(keepLast)) {
        if (this.#dropCheckpoint(threadId, checkpointNs, dir, doomed, files.get(doomed) ?? []) > 0) removed++;
      }
      const kept = all
        .slice(0, keepLast)
        .map((id) => this.#readLeaf({ text: id, hex: "", paths: files.get(id) ?? [] }))
        .filter((c) => c !== undefined);
      this.#dropOrphanBlobs(dir, kept);
    }
    this.#removeIfEmpty(threadId);
    return removed;
  }

  async countThread(threadId: string): Promise<number> {
    this.#open();
    let count = 0;
    for (const { ns, dir } of this.#nsDirs(threadId, undefined)) {
      for (const id of allCheckpointFiles(dir).keys()) {
        count++;
        if (this.#index.has(threadId, ns, id)) count++;
      }
      count += [...leaves(dir, ".b")].length;
      for (const writes of leaves(dir, ".w")) count += [...leaves(writes.path, ".x")].length;
    }
    return count;
  }

  async gc(): Promise<number> {
    this.#open();
    let removed = this.#files.sweep();
    const now = Date.now();
    for (const thread of this.#allThreads()) {
      for (const { ns, dir } of this.#nsDirs(thread.text, undefined)) {
        const kept: StoredCheckpoint[] = [];
        for (const [id, paths] of allCheckpointFiles(dir)) {
          const checkpoint = this.#readLeaf({ text: id, hex: "", paths });
          if (checkpoint ? isExpired(checkpoint.expiresAt, now) : paths.every((path) => leftIncomplete(path, now))) {
            removed += this.#dropCheckpoint(thread.text, ns, dir, id, paths);
          } else if (checkpoint) kept.push(checkpoint);
        }
        removed += this.#dropOrphanBlobs(dir, kept);
      }
      this.#removeIfEmpty(thread.text);
    }
    return removed;
  }

  async size(): Promise<{ threads: number; checkpoints: number }> {
    this.#open();
    let threads = 0;
    let checkpoints = 0;
    for (const thread of this.#allThreads()) {
      threads++;
      for (const { dir } of this.#nsDirs(thread.text, undefined)) {
        checkpoints += allCheckpointFiles(dir).size;
      }
    }
    return { threads, checkpoints };
  }

  *#allThreads(): Generator<Leaf> {
    for (const shard of listNames(this.#threads)) {
      if (/^[0-9a-f]{2}$/.test(shard)) yield* leaves(join(this.#threads, shard), ".t");
    }
  }

  /** Drops the thread's directory when no checkpoint, blob or write is left in it. */
  #removeIfEmpty(threadId: string): void {
    const threadDir = this.#threadDir(threadId);
    for (const { dir } of this.#nsDirs(threadId, undefined)) {
      if (allCheckpointFiles(dir).size === 0) dropFloorMarkers(dir);
      pruneEmptyDirs(dir);
      try {
        rmdirSync(dir);
      } catch {}
    }
    pruneEmptyDirs(threadDir);
    try {
      rmdirSync(threadDir);
    } catch {
      return;
    }
    removeEmptyParents(dirname(threadDir), this.#threads);
  }
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return [];
    throw error;
  }
}

/** A first-format checkpoint (older releases wrote in place) still not whole a minute later was cut short by a crash. */
function leftIncomplete(path: string, now: number): boolean {
  try {
    return now - statSync(path).mtimeMs > 60_000;
  } catch {
    return false;
  }
}
