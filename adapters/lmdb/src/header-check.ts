import { closeSync, openSync, readSync, statSync } from "node:fs";
import { CorruptDataError } from "@stowage/core";

/** LMDB's meta-page magic and the byte offsets of the fields checked, on 64-bit builds. */
const MAGIC = 0xbeefc0de;
const MAGIC_OFFSET = 24;
const VERSION_OFFSET = 28;
const PAGE_SIZE_OFFSET = 48;

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, read);
}

function checkMeta(meta: Buffer, file: string, which: string): void {
  if (meta.length < PAGE_SIZE_OFFSET + 4 || meta.readUInt32LE(MAGIC_OFFSET) !== MAGIC) {
    throw new CorruptDataError(`${file} is not an LMDB data file (bad magic in the ${which} meta page)`);
  }
  const version = meta.readUInt32LE(VERSION_OFFSET);
  if (version !== 1 && version !== 2) {
    throw new CorruptDataError(`${file} has an unknown LMDB data version ${version}`);
  }
}

/**
 * Checks both meta pages of an existing data file before lmdb maps it: lmdb-js 3.5 crashes the
 * whole process (SIGSEGV) on a file whose header is not LMDB's, where we owe an ERR_CORRUPT_DATA.
 * Damage deeper in the tree surfaces later as MDB_PAGE_NOTFOUND/MDB_CORRUPTED (see errors.ts).
 */
export function checkDataFile(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (size === 0) return; // LMDB initialises an empty file as a new environment
  const fd = openSync(file, "r");
  try {
    const first = readAt(fd, 0, 64);
    checkMeta(first, file, "first");
    const pageSize = first.readUInt32LE(PAGE_SIZE_OFFSET);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      throw new CorruptDataError(`${file} has an impossible LMDB page size ${pageSize}`);
    }
    if (size < pageSize * 2) throw new CorruptDataError(`${file} is truncated (${size} bytes)`);
    checkMeta(readAt(fd, pageSize, 64), file, "second");
  } finally {
    closeSync(fd);
  }
}
