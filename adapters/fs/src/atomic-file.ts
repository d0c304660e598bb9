import {
  closeSync,
  constants,
  fsyncSync,
  futimesSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  writevSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, wallNow } from "@stowage/core";

/** Temporary files older than this are removed by gc() even when their writer's pid looks alive (pid reuse, NFS). */
const ABANDONED_TEMP_MS = 10 * 60_000;

let sequence = 0;

/**
 * Flags for opening a file to read: O_NOATIME (Linux, files we own) keeps a read from becoming
 * an inode write, which relatime would otherwise journal on the first read after each write.
 */
export const READ_FLAGS = constants.O_RDONLY | (constants.O_NOATIME ?? 0);

export function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Opens a file for reading; undefined when it (or a directory on its path) does not exist. */
export function openIfExists(path: string): number | undefined {
  try {
    return openSync(path, READ_FLAGS);
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return undefined;
    throw error;
  }
}

/** mkdir -p with owner-only directories. */
export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** How often a write re-makes a directory that gc() in another process keeps removing before it gives up. */
const MISSING_DIR_ATTEMPTS = 100;

/**
 * Runs `create` (a syscall that makes a name in `dir`), making `dir` when it is missing: gc() in
 * another process removes empty directories, also between this one's mkdir and its create.
 */
export function inDir<T>(dir: string, create: () => T): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return create();
    } catch (error) {
      if (errnoOf(error) !== "ENOENT" || attempt >= MISSING_DIR_ATTEMPTS) throw error;
      ensureDir(dir);
    }
  }
}

/**
 * Writes whole files so that no reader ever sees a torn one: the bytes go to a temporary file in
 * the store's own `.tmp` directory (same filesystem), then a rename (replace) or a link (create
 * only when absent) makes them visible in one step.
 */
export class AtomicFiles {
  readonly tmpDir: string;
  /** fsync the file before it becomes visible and the directory after: durable across power loss, about 10× slower. */
  readonly fsync: boolean;

  constructor(tmpDir: string, fsync: boolean) {
    this.tmpDir = tmpDir;
    this.fsync = fsync;
    ensureDir(tmpDir);
  }

  /** Writes `chunks` to a new temporary file (mtime set to `mtimeMs` when given) and returns its path. */
  writeTemp(chunks: readonly Uint8Array[], mtimeMs?: number): string {
    const path = join(this.tmpDir, `${process.pid}.${++sequence}.${Math.random().toString(36).slice(2, 10)}.tmp`);
    const fd = inDir(this.tmpDir, () => openSync(path, "wx", PRIVATE_FILE_MODE));
    try {
      writeAll(fd, chunks);
      if (mtimeMs !== undefined) futimesSync(fd, mtimeMs / 1000, mtimeMs / 1000);
      if (this.fsync) fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      unlinkQuietly(path);
      throw error;
    }
    closeSync(fd);
    return path;
  }

  /** Atomically replaces (or creates) `path` with `chunks`. */
  replace(path: string, chunks: readonly Uint8Array[], mtimeMs?: number): void {
    const temp = this.writeTemp(chunks, mtimeMs);
    try {
      renameInto(temp, path);
    } catch (error) {
      unlinkQuietly(temp);
      throw error;
    }
    if (this.fsync) syncDir(dirname(path));
  }

  /** Atomically creates `path` with `chunks` only when nothing is there; false when it exists. */
  create(path: string, chunks: readonly Uint8Array[], mtimeMs?: number): boolean {
    const temp = this.writeTemp(chunks, mtimeMs);
    try {
      try {
        inDir(dirname(path), () => linkSync(temp, path));
      } catch (error) {
        if (errnoOf(error) === "EEXIST") return false;
        throw error;
      }
    } finally {
      unlinkQuietly(temp);
    }
    if (this.fsync) syncDir(dirname(path));
    return true;
  }

  /**
   * Removes temporary files a crashed writer left: those whose writer process is gone, and any
   * older than ten minutes. Returns how many went.
   */
  sweep(): number {
    let names: string[];
    try {
      names = readdirSync(this.tmpDir);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return 0;
      throw error;
    }
    let removed = 0;
    const now = wallNow();
    for (const name of names) {
      const pid = Number(name.split(".", 1)[0]);
      const path = join(this.tmpDir, name);
      let abandoned = Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid);
      if (!abandoned) {
        try {
          abandoned = now - statSync(path).mtimeMs > ABANDONED_TEMP_MS;
        } catch {
          continue;
        }
      }
      if (abandoned && unlinkQuietly(path)) removed++;
    }
    return removed;
  }
}

function writeAll(fd: number, chunks: readonly Uint8Array[]): void {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  // One writev for the usual small entry; a short write (rare, huge values) finishes chunk by chunk.
  let written = writevSync(fd, chunks as Uint8Array[]);
  if (written === total) return;
  for (const chunk of chunks) {
    if (written >= chunk.byteLength) {
      written -= chunk.byteLength;
      continue;
    }
    let at = written;
    written = 0;
    while (at < chunk.byteLength) at += writeSync(fd, chunk, at, chunk.byteLength - at);
  }
}

/** fsync a directory: makes the names created in it survive a power loss. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** rename(2), creating the target's directory when it is missing. */
export function renameInto(from: string, to: string): void {
  inDir(dirname(to), () => renameSync(from, to));
}

/** Unlinks a file; true when it was there. */
export function unlinkQuietly(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return false;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === "EPERM";
  }
}
