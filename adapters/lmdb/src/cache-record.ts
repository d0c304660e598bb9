import { CorruptDataError, type StoredEntry } from "@stowage/core";

/** A cache record is 8 bytes of expiry (float64 ms since epoch, 0 = never) followed by the encoded value. */
const HEADER = 8;

export function encodeRecord(entry: StoredEntry): Buffer {
  const record = Buffer.allocUnsafe(HEADER + entry.value.byteLength);
  record.writeDoubleLE(entry.expiresAt ?? 0, 0);
  record.set(entry.value, HEADER);
  return record;
}

/** The entry in a record read with getBinaryFast, whose buffer lmdb reuses on the next read: the value is copied out. */
export function decodeSharedRecord(record: Buffer, key: string): StoredEntry {
  if (record.length < HEADER) throw new CorruptDataError(`lmdb cache record of "${key}" is ${record.length} bytes`);
  const expiresAt = record.readDoubleLE(0);
  const value = Buffer.allocUnsafe(record.length - HEADER);
  record.copy(value, 0, HEADER);
  return { value, expiresAt: expiresAt === 0 ? null : expiresAt };
}

/** The expiry of a record without copying its value. */
export function recordExpiresAt(record: Buffer): number | null {
  const expiresAt = record.length >= HEADER ? record.readDoubleLE(0) : 0;
  return expiresAt === 0 ? null : expiresAt;
}
