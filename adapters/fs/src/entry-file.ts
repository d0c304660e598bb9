import { closeSync, fstatSync, futimesSync, readSync } from "node:fs";
import { CorruptDataError, type StoredEntry } from "@stowage/core";
import { openIfExists } from "./atomic-file.js";
import { crc32 } from "./checksum.js";
import { fstatSeen, type Seen } from "./read-cache.js";

/**
 * A cache entry file: a magic, the expiry (float64 ms since epoch, NaN = never), the value's
 * length (float64), the CRC-32 of the value, the CRC-32 of those 24 bytes, then the value. It is
 * only ever made visible whole (renamed or linked into place), so a file whose length or checksums
 * disagree was damaged after it was written: ERR_CORRUPT_DATA, never a shorter or different value.
 * The header has its own checksum so that keys() and gc trust an expiry without reading the value.
 *
 * Files of the first format ("STW1": no checksums, written in place by older releases) still
 * read; one shorter than its header says was still being written (or cut short by a crash while
 * it was) and reads as absent, as it always did.
 */
const MAGIC = Buffer.from([0xf5, 0xc1, 0x76, 0x02]);
const LEGACY_MAGIC = 0x53545731;
export const HEADER_BYTES = 28;
const LEGACY_HEADER_BYTES = 20;
const FIRST_READ = 64 * 1024;
const scratch = Buffer.allocUnsafe(FIRST_READ);

export function encodeEntry(entry: StoredEntry): Uint8Array[] {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeDoubleLE(entry.expiresAt ?? Number.NaN, 4);
  header.writeDoubleLE(entry.value.byteLength, 12);
  header.writeUInt32LE(crc32(entry.value), 20);
  header.writeUInt32LE(crc32(header.subarray(0, 24)), 24);
  return [header, entry.value];
}

interface Header {
  expiresAt: number | null;
  length: number;
  /** Where the value starts. */
  valueAt: number;
  /** CRC-32 of the value; undefined in the first format, which has none. */
  valueCrc: number | undefined;
}

/** The header in the first `got` bytes of `header`; undefined for a first-format file cut short inside it. */
function parseHeader(header: Buffer, got: number, path: string): Header | undefined {
  if (got >= 4 && header.readUInt32BE(0) === LEGACY_MAGIC) {
    if (got < LEGACY_HEADER_BYTES) return undefined;
    return { ...expiryAndLength(header, path), valueAt: LEGACY_HEADER_BYTES, valueCrc: undefined };
  }
  if (got < HEADER_BYTES || !header.subarray(0, 4).equals(MAGIC)) {
    throw new CorruptDataError(`cache file ${path} is not a stowage entry (${got} bytes, no entry header)`);
  }
  if (crc32(header.subarray(0, 24)) !== header.readUInt32LE(24)) {
    throw new CorruptDataError(`cache file ${path} has a damaged header (checksum mismatch)`);
  }
  return { ...expiryAndLength(header, path), valueAt: HEADER_BYTES, valueCrc: header.readUInt32LE(20) };
}

/** Both formats keep the expiry (NaN: none) at 4 and the value's length at 12, as doubles. */
function expiryAndLength(header: Buffer, path: string): Pick<Header, "expiresAt" | "length"> {
  const length = header.readDoubleLE(12);
  if (!Number.isSafeInteger(length) || length < 0) throw new CorruptDataError(`cache file ${path} has a bad length`);
  const expires = header.readDoubleLE(4);
  return { expiresAt: Number.isNaN(expires) ? null : expires, length };
}

/** Whether a file of `size` bytes holds the whole value: false only for a first-format file still (or left) being written. */
function checkSize(header: Header, size: number, path: string): boolean {
  const expected = header.valueAt + header.length;
  if (size === expected) return true;
  if (header.valueCrc === undefined && size < expected) return false;
  throw new CorruptDataError(`cache file ${path} is ${size} bytes; its header says ${expected}`);
}

/**
 * Reads an entry file whole (undefined when there is none). With `touchMs`, sets the file's
 * times to it: the access record the size limit's LRU eviction sorts by. With `withStat`, also
 * returns the file's stat taken before its bytes were read (what the read cache checks).
 */
export function readEntry(path: string, touchMs?: number): StoredEntry | undefined;
export function readEntry(path: string, touchMs: number | undefined, withStat: true): SeenEntry | undefined;
export function readEntry(path: string, touchMs?: number, withStat = false): StoredEntry | SeenEntry | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    const seen = withStat ? fstatSeen(fd) : undefined;
    const got = readSync(fd, scratch, 0, FIRST_READ, 0);
    const header = parseHeader(scratch, got, path);
    if (header === undefined) return undefined;
    // The whole file is in hand when the first read came back short; otherwise ask for its size before allocating.
    if (!checkSize(header, got < FIRST_READ ? got : (seen?.size ?? fstatSync(fd).size), path)) return undefined;
    const { length, valueAt } = header;
    const value = Buffer.allocUnsafe(length);
    const inFirst = Math.min(length, got - valueAt);
    scratch.copy(value, 0, valueAt, valueAt + inFirst);
    let at = inFirst;
    while (at < length) {
      const n = readSync(fd, value, at, length - at, valueAt + at);
      if (n === 0) {
        if (header.valueCrc === undefined) return undefined;
        throw new CorruptDataError(`cache file ${path} was cut short while being read`);
      }
      at += n;
    }
    if (header.valueCrc !== undefined && crc32(value) !== header.valueCrc) {
      throw new CorruptDataError(`cache file ${path} has a damaged value (checksum mismatch)`);
    }
    if (touchMs !== undefined) futimesSync(fd, touchMs / 1000, touchMs / 1000);
    const entry = { value, expiresAt: header.expiresAt };
    return seen ? { entry, seen } : entry;
  } finally {
    closeSync(fd);
  }
}

/** An entry with the stat of the file it was read from. */
export interface SeenEntry {
  entry: StoredEntry;
  seen: Seen;
}

/** What gc and keys() need of an entry file: its expiry, whether it is whole, and its last access. */
export interface EntryHeader {
  expiresAt: number | null;
  /** False only for a first-format file a writer is still filling in, or that a crash cut short. */
  complete: boolean;
  mtimeMs: number;
}

/** Reads only an entry's header, checked against its checksum and the file's size (undefined when there is no file). */
export function readEntryHeader(path: string): EntryHeader | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    const got = readSync(fd, scratch, 0, HEADER_BYTES, 0);
    const stat = fstatSync(fd);
    const header = parseHeader(scratch, got, path);
    if (header === undefined) return { expiresAt: null, complete: false, mtimeMs: stat.mtimeMs };
    return { expiresAt: header.expiresAt, complete: checkSize(header, stat.size, path), mtimeMs: stat.mtimeMs };
  } finally {
    closeSync(fd);
  }
}
