import { closeSync, fstatSync, futimesSync, readSync } from "node:fs";
import { CorruptDataError, type StoredEntry } from "@stowage/core";
import { openIfExists } from "./atomic-file.js";

/**
 * A cache entry file: "STW1", the expiry (float64 ms since epoch, NaN = never), the value's
 * length (float64), then the value. A new key's file is written in place (see cache.ts), so a
 * file shorter than its header says is one still being written, or cut short by a crash: either
 * way its value was never acknowledged, and readers treat the key as absent.
 */
const MAGIC = 0x53545731;
export const HEADER_BYTES = 20;
const FIRST_READ = 64 * 1024;
const scratch = Buffer.allocUnsafe(FIRST_READ);

export function encodeEntry(entry: StoredEntry): Uint8Array[] {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(MAGIC, 0);
  header.writeDoubleLE(entry.expiresAt ?? Number.NaN, 4);
  header.writeDoubleLE(entry.value.byteLength, 12);
  return [header, entry.value];
}

function parseHeader(header: Buffer, got: number, path: string): { expiresAt: number | null; length: number } {
  if (got >= 4 && header.readUInt32BE(0) !== MAGIC) {
    throw new CorruptDataError(`cache file ${path} is not a stowage entry`);
  }
  if (got < HEADER_BYTES) return { expiresAt: null, length: Number.POSITIVE_INFINITY };
  const expires = header.readDoubleLE(4);
  const length = header.readDoubleLE(12);
  if (!Number.isSafeInteger(length) || length < 0) throw new CorruptDataError(`cache file ${path} has a bad length`);
  return { expiresAt: Number.isNaN(expires) ? null : expires, length };
}

/**
 * Reads an entry file whole (undefined when there is none). With `touchMs`, sets the file's
 * times to it: the access record the size limit's LRU eviction sorts by.
 */
export function readEntry(path: string, touchMs?: number): StoredEntry | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    const got = readSync(fd, scratch, 0, FIRST_READ, 0);
    const { expiresAt, length } = parseHeader(scratch, got, path);
    if (length === Number.POSITIVE_INFINITY || (got < FIRST_READ && got < HEADER_BYTES + length)) return undefined;
    const value = Buffer.allocUnsafe(length);
    const inFirst = Math.min(length, got - HEADER_BYTES);
    scratch.copy(value, 0, HEADER_BYTES, HEADER_BYTES + inFirst);
    let at = inFirst;
    while (at < length) {
      const n = readSync(fd, value, at, length - at, HEADER_BYTES + at);
      if (n === 0) return undefined;
      at += n;
    }
    if (touchMs !== undefined) futimesSync(fd, touchMs / 1000, touchMs / 1000);
    return { value, expiresAt };
  } finally {
    closeSync(fd);
  }
}

/** What gc and keys() need of an entry file: its expiry, whether it is whole, and its last access. */
export interface EntryHeader {
  expiresAt: number | null;
  /** False while a writer is still filling it in, or when a crash cut it short. */
  complete: boolean;
  mtimeMs: number;
}

/** Reads only an entry's header (undefined when there is no file). */
export function readEntryHeader(path: string): EntryHeader | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    const got = readSync(fd, scratch, 0, HEADER_BYTES, 0);
    const { expiresAt, length } = parseHeader(scratch, got, path);
    const stat = fstatSync(fd);
    return { expiresAt, complete: stat.size >= HEADER_BYTES + length, mtimeMs: stat.mtimeMs };
  } finally {
    closeSync(fd);
  }
}
