import { readdirSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  type CheckpointDriver,
  type CheckpointPageQuery,
  isExpired,
  type LoadedCheckpoint,
  type StoredBlob,
  type StoredCheckpoint,
  type StoredWrite,
  wallNow,
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
  RECENT_DIR,
  RECENT_MAX,
  recentPath,
} from "./checkpoint-layout.js";
import { componentName, isDigestName, NAME_FILE, shardOf, toHex, toRelativePath } from "./path-codec.js";
import { type Check, ReadCache, type ReadCacheCounts, seenOf, statIfExists } from "./read-cache.js";
import { lruStamp } from "./size-limit.js";
import { type Leaf, leaves, listDir, pruneEmptyDirs } from "./tree-walk.js";

let trashSequence = 0;
/** How old a blob no checkpoint names must be before prune and gc remove it: longer than any put takes. */
const ORPHAN_AFTER_MS = 60_000;

const blobName = (channel: string, version: string | number) => JSON.stringify([channel, version]);
const writeName = (write: { taskId: string; index: number }) => JSON.stringify([write.taskId, write.index]);

/** Whether `path` exists; a path too long to name (an old layout's long name) does not. */
function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (error) {
    if (errnoOf(error) === "ENAMETOOLONG") return false;
    throw error;
  }
}

/** `current`, unless only the path an older version gave a long name exists (hex split into segments). */
function currentOrLegacy(parent: string, text: string, suffix: string): string {
  const name = componentName(text, suffix);
  const current = join(parent, name);
  if (!name.startsWith("~") || exists(current)) return current;
  const legacy = join(parent, toRelativePath(text, suffix));
  return exists(legacy) ? legacy : current;
}

/** The digest-named entries of `dir` with `suffix` (componentName), as paths. */
function digestNamed(dir: string, suffix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => isDigestName(name, suffix)).map((name) => join(dir, name));
}

/** The leaves of `dir` with `suffix`: hex-named ones anywhere below it, and digest-named ones in it (one listing of `dir`). */
function allLeafPaths(dir: string, suffix: string): string[] {
  const listed = listDir(dir);
  if (listed === undefined) return [];
  const paths = [...leaves(dir, suffix, "", listed)].map((leaf) => leaf.path);
  for (const item of listed) if (isDigestName(item.name, suffix)) paths.push(join(dir, item.name));
  return paths;
}

/** The read cache's key of a get: the latest of (thread, ns), or one id of it. */
const loadKey = (threadId: string, ns: string, id: string | undefined) => JSON.stringify([threadId, ns, id ?? null]);

/** A checkpoint read whole, kept by the read cache: `load()` gives a fresh copy the caller may change. */
interface CachedLoad {
  expiresAt: number | null;
  load(): LoadedCheckpoint;
}

function cachedLoad(loaded: LoadedCheckpoint): CachedLoad {
  const { metadata, channels, payload, blobs, writes } = loaded;
  const objects = JSON.stringify([metadata, channels]);
  return {
    expiresAt: loaded.expiresAt,
    load: () => {
      const [metadata, channels] = JSON.parse(objects) as [LoadedCheckpoint["metadata"], LoadedCheckpoint["channels"]];
      return {
        ...loaded,
        metadata,
        channels,
        payload: Buffer.from(payload),
        blobs: blobs.map((blob) => ({ ...blob, value: Buffer.from(blob.value) })),
        writes: writes.map((write) => ({ ...write, value: Buffer.from(write.value) })),
      };
    },
  };
}

/** Bytes a loaded checkpoint holds, roughly: what the read cache counts against its budget. */
function sizeOf(loaded: LoadedCheckpoint): number {
  let bytes = 512 + loaded.payload.byteLength;
  for (const blob of loaded.blobs) bytes += 64 + blob.value.byteLength;
  for (const write of loaded.writes) bytes += 128 + write.value.byteLength;
  return bytes;
}

/** Digest-named directories of `dir` with the names they stand for. */
function* namedDirs(dir: string, suffix: string): Generator<Leaf> {
  for (const path of digestNamed(dir, suffix)) {
    const text = readIfExists(join(path, NAME_FILE));
    if (text) yield { text: text.toString("utf8"), hex: "", path };
  }
}

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
  /** ns directories this process has seen with a ~c, and how many puts it made there since it last compacted. */
  readonly #puts = new Map<string, number>();
  /**
   * Recently loaded checkpoints (latest of an ns directory, or by id), each served only after a
   * stat of every file and directory it was read from shows them unchanged (read-cache.ts).
   */
  readonly #reads: ReadCache<CachedLoad>;

  constructor(dir: string, files: AtomicFiles, readCacheBytes = 0, counts?: ReadCacheCounts) {
    this.#threads = join(dir, "threads");
    this.#index = new CheckpointIndex(join(dir, "index"), files);
    this.#files = files;
    this.#reads = new ReadCache(readCacheBytes, counts);
  }

  #threadDir(threadId: string): string {
    return currentOrLegacy(join(this.#threads, shardOf(threadId)), threadId, ".t");
  }

  /** The default ns ("") lives in the thread directory itself: one mkdir less per new thread. */
  #nsDir(threadId: string, ns: string): string {
    const threadDir = this.#threadDir(threadId);
    return ns === "" ? threadDir : currentOrLegacy(threadDir, ns, ".n");
  }

  /** A digest-named thread or ns directory keeps the name it stands for, for listings. */
  #keepNames(threadId: string, ns: string): void {
    const named: [string, string, string][] = [[this.#threadDir(threadId), threadId, ".t"]];
    if (ns !== "") named.push([this.#nsDir(threadId, ns), ns, ".n"]);
    for (const [dir, text, suffix] of named) {
      const nameFile = join(dir, NAME_FILE);
      if (isDigestName(basename(dir), suffix) && !exists(nameFile)) this.#files.replace(nameFile, [Buffer.from(text)]);
    }
  }

  #readCheckpoint(path: string, checks?: Check[]): StoredCheckpoint | undefined {
    const bytes = readIfExists(path, checks);
    return bytes && decodeCheckpoint(bytes, path);
  }

  /** Reads a checkpoint found by a walk, following it to the archive if it moved meanwhile. */
  #readLeaf(leaf: CheckpointLeaf, checks?: Check[]): StoredCheckpoint | undefined {
    for (const path of leaf.paths) {
      const checkpoint = this.#readCheckpoint(path, checks);
      if (checkpoint) return checkpoint;
    }
    return undefined;
  }

  /** A checkpoint by id, wherever the layout keeps it. */
  #readById(dir: string, id: string, checks?: Check[]): StoredCheckpoint | undefined {
    return this.#readLeaf(
      {
        text: id,
        hex: "",
        paths: [recentPath(dir, id), archivePath(dir, id), join(dir, toRelativePath(id, ".c"))],
      },
      checks,
    );
  }

  /** The (ns, directory) pairs of a thread, or only `ns`'s. */
  #nsDirs(threadId: string, ns: string | undefined): { ns: string; dir: string }[] {
    if (ns !== undefined) return [{ ns, dir: this.#nsDir(threadId, ns) }];
    const threadDir = this.#threadDir(threadId);
    const named = [...leaves(threadDir, ".n"), ...namedDirs(threadDir, ".n")].map((leaf) => ({
      ns: leaf.text,
      dir: leaf.path,
    }));
    return [{ ns: "", dir: threadDir }, ...named];
  }

  async put(checkpoint: StoredCheckpoint, blobs: readonly StoredBlob[]): Promise<void> {
    const dir = this.#nsDir(checkpoint.threadId, checkpoint.ns);
    this.#forget(checkpoint.threadId, checkpoint.ns, checkpoint.id);
    const puts = this.#puts.get(dir);
    if (puts === undefined) {
      if (this.#puts.size > 10_000) this.#puts.clear();
      ensureRecentDir(dir);
      this.#keepNames(checkpoint.threadId, checkpoint.ns);
    }
    this.#puts.set(dir, (puts ?? 0) + 1);
    for (const blob of blobs) {
      // A blob is immutable: the first write of a version wins (a link that fails on an existing file decides it).
      this.#files.create(join(dir, componentName(blobName(blob.channel, blob.version), ".b")), encodeBlob(blob.value));
    }
    // Index first: a checkpoint that can be read is always listed; a crash leaves at most a dangling index entry.
    this.#index.add(checkpoint.threadId, checkpoint.ns, checkpoint.id);
    // Renamed into place whole: a checkpoint file that does not check out is damage, never a put in progress.
    this.#files.replace(recentPath(dir, checkpoint.id), encodeCheckpoint(checkpoint));
    if (puts !== undefined && puts % RECENT_MAX === 0) compact(dir);
  }

  async get(threadId: string, ns: string, id: string | undefined): Promise<LoadedCheckpoint | undefined> {
    const cacheKey = loadKey(threadId, ns, id);
    const cached = this.#reads.get(cacheKey);
    if (cached && !isExpired(cached.expiresAt)) return cached.load();
    const dir = this.#nsDir(threadId, ns);
    const readAt = wallNow();
    // What every file and directory read held, for the read cache; undefined when the read cannot be cached.
    let checks: Check[] | undefined = this.#reads.enabled ? [] : undefined;
    let found: StoredCheckpoint | undefined;
    if (id !== undefined) {
      found = this.#readById(dir, id, checks);
      if (found && isExpired(found.expiresAt)) found = undefined;
    } else {
      if (checks) {
        // ~c changes (mtime) with every checkpoint put, moved or removed: the listing below is of it.
        const recentDir = join(dir, RECENT_DIR);
        const recent = statIfExists(recentDir);
        if (recent?.isDirectory()) checks.push([recentDir, seenOf(recent)]);
        else checks = undefined; // the previous layout, or no thread: not cached
      }
      for (const leaf of newestFirst(dir, undefined)) {
        // The archive is not among the checks: a checkpoint found there is read from disk every time.
        if (leaf.paths.length < 2) checks = undefined;
        found = this.#readLeaf(leaf, checks);
        if (found && !isExpired(found.expiresAt)) break;
        found = undefined;
      }
    }
    if (!found) return undefined;
    const blobs: StoredBlob[] = [];
    for (const [channel, version] of Object.entries(found.channels)) {
      const path = currentOrLegacy(dir, blobName(channel, version), ".b");
      const bytes = readIfExists(path, checks);
      if (bytes) blobs.push({ channel, version, value: decodeBlob(bytes, path) });
    }
    const writesDir = join(dir, toRelativePath(found.id, ".w"));
    // A stat first: most checkpoints have no writes, and a failed listing costs an exception.
    const writesStat = statIfExists(writesDir);
    checks?.push([writesDir, writesStat && seenOf(writesStat)]);
    const writePaths = writesStat === undefined ? [] : allLeafPaths(writesDir, ".x");
    // Writes in subdirectories (an older layout's long names) change no mtime the checks see.
    if (writePaths.some((path) => dirname(path) !== writesDir)) checks = undefined;
    const writes = writePaths
      .map((path) => {
        const bytes = readIfExists(path, checks);
        return bytes && decodeWrite(bytes, path);
      })
      .filter((write) => write !== undefined)
      .sort((a, b) => a.stamp - b.stamp)
      .map(({ stamp: _stamp, ...write }) => write);
    const loaded = { ...found, blobs, writes };
    if (checks) {
      const keep = cachedLoad(loaded);
      this.#reads.set(cacheKey, keep, sizeOf(loaded), checks, readAt);
    }
    return loaded;
  }

  async listPage(query: CheckpointPageQuery): Promise<StoredCheckpoint[]> {
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
    this.#forget(threadId, ns, checkpointId);
    const dir = join(this.#nsDir(threadId, ns), toRelativePath(checkpointId, ".w"));
    for (const write of writes) {
      const path = currentOrLegacy(dir, writeName(write), ".x");
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

  /** Drops what the read cache holds that a change to checkpoint `id` makes stale (its stats would see it too). */
  #forget(threadId: string, ns: string, id: string): void {
    this.#reads.delete(loadKey(threadId, ns, undefined));
    this.#reads.delete(loadKey(threadId, ns, id));
  }

  async deleteThread(threadId: string): Promise<void> {
    this.#reads.clear();
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
    const writes = allLeafPaths(writesDir, ".x").length;
    rmSync(writesDir, { recursive: true, force: true });
    this.#index.remove(threadId, ns, id);
    let removed = false;
    for (const path of paths) if (unlinkQuietly(path)) removed = true;
    return (removed ? 1 : 0) + writes;
  }

  /**
   * Removes blobs of an ns directory that none of `kept` names: those `dropped` named at once, others
   * only once older than ORPHAN_AFTER_MS (a put in another process writes its blobs before the
   * checkpoint that names them, so a blob nothing names yet may belong to a checkpoint in flight).
   * Blobs are hex-named leaves or, for long names, digest-named files (componentName).
   */
  #dropOrphanBlobs(dir: string, kept: readonly StoredCheckpoint[], dropped: readonly StoredCheckpoint[]): number {
    const names = (checkpoints: readonly StoredCheckpoint[]) =>
      new Set(checkpoints.flatMap((c) => Object.entries(c.channels).map(([channel, v]) => blobName(channel, v))));
    const named = names(kept);
    const ofDropped = names(dropped);
    const digestOf = (text: string) => join(dir, componentName(text, ".b"));
    const namedDigests = new Set([...named].map(digestOf));
    const droppedDigests = new Set([...ofDropped].map(digestOf));
    let removed = 0;
    const now = wallNow();
    for (const blob of leaves(dir, ".b")) {
      if (named.has(blob.text)) continue;
      if (!ofDropped.has(blob.text) && !writtenBefore(blob.path, now - ORPHAN_AFTER_MS)) continue;
      if (unlinkQuietly(blob.path)) removed++;
    }
    for (const path of digestNamed(dir, ".b")) {
      if (namedDigests.has(path)) continue;
      if (!droppedDigests.has(path) && !writtenBefore(path, now - ORPHAN_AFTER_MS)) continue;
      if (unlinkQuietly(path)) removed++;
    }
    return removed;
  }

  async prune(threadId: string, keepLast: number, ns: string | undefined): Promise<number> {
    this.#reads.clear();
    let removed = 0;
    for (const { ns: checkpointNs, dir } of this.#nsDirs(threadId, ns)) {
      const files = allCheckpointFiles(dir);
      const all = [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(b), Buffer.from(a)));
      const read = (ids: string[]) =>
        ids
          .map((id) => this.#readLeaf({ text: id, hex: "", paths: files.get(id) ?? [] }))
          .filter((c) => c !== undefined);
      const dropped = read(all.slice(keepLast));
      for (const doomed of all.slice(keepLast)) {
        if (this.#dropCheckpoint(threadId, checkpointNs, dir, doomed, files.get(doomed) ?? []) > 0) removed++;
      }
      this.#dropOrphanBlobs(dir, read(all.slice(0, keepLast)), dropped);
    }
    this.#removeIfEmpty(threadId);
    return removed;
  }

  async countThread(threadId: string): Promise<number> {
    let count = 0;
    for (const { ns, dir } of this.#nsDirs(threadId, undefined)) {
      for (const id of allCheckpointFiles(dir).keys()) {
        count++;
        if (this.#index.has(threadId, ns, id)) count++;
      }
      count += allLeafPaths(dir, ".b").length;
      for (const writes of leaves(dir, ".w")) count += allLeafPaths(writes.path, ".x").length;
    }
    return count;
  }

  async gc(): Promise<number> {
    this.#reads.clear();
    let removed = this.#files.sweep();
    const now = wallNow();
    for (const thread of this.#allThreads()) {
      for (const { ns, dir } of this.#nsDirs(thread.text, undefined)) {
        const kept: StoredCheckpoint[] = [];
        const dropped: StoredCheckpoint[] = [];
        for (const [id, paths] of allCheckpointFiles(dir)) {
          const checkpoint = this.#readLeaf({ text: id, hex: "", paths });
          if (checkpoint ? isExpired(checkpoint.expiresAt, now) : paths.every((path) => leftIncomplete(path, now))) {
            removed += this.#dropCheckpoint(thread.text, ns, dir, id, paths);
            if (checkpoint) dropped.push(checkpoint);
          } else if (checkpoint) kept.push(checkpoint);
        }
        removed += this.#dropOrphanBlobs(dir, kept, dropped);
      }
      this.#removeIfEmpty(thread.text);
    }
    return removed;
  }

  async size(): Promise<{ threads: number; checkpoints: number }> {
    let threads = 0;
    let checkpoints = 0;
    for (const thread of this.#allThreads()) {
      // A thread is one with checkpoints: a directory left with a blob in its grace period is none.
      let ofThread = 0;
      for (const { dir } of this.#nsDirs(thread.text, undefined)) ofThread += allCheckpointFiles(dir).size;
      if (ofThread > 0) threads++;
      checkpoints += ofThread;
    }
    return { threads, checkpoints };
  }

  *#allThreads(): Generator<Leaf> {
    for (const shard of listNames(this.#threads)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      yield* leaves(join(this.#threads, shard), ".t");
      yield* namedDirs(join(this.#threads, shard), ".t");
    }
  }

  /** Drops the thread's directory when no checkpoint, blob or write is left in it. */
  #removeIfEmpty(threadId: string): void {
    const threadDir = this.#threadDir(threadId);
    for (const { dir } of this.#nsDirs(threadId, undefined)) {
      if (allCheckpointFiles(dir).size === 0) dropFloorMarkers(dir);
      pruneEmptyDirs(dir);
      dropLoneNameFile(dir);
      try {
        rmdirSync(dir);
      } catch {}
    }
    pruneEmptyDirs(threadDir);
    dropLoneNameFile(threadDir);
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

/** True when the file at `path` was last written before `time` (ms since epoch); false when it is gone. */
function writtenBefore(path: string, time: number): boolean {
  try {
    return statSync(path).mtimeMs < time;
  } catch {
    return false;
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

/** A digest-named directory holding nothing but its name file is empty: the name goes so the directory can. */
function dropLoneNameFile(dir: string): void {
  try {
    const names = readdirSync(dir);
    if (names.length === 1 && names[0] === NAME_FILE) unlinkSync(join(dir, NAME_FILE));
  } catch {}
}
