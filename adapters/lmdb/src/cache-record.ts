import { CorruptDataError, type StoredEntry } from "@stowage/core";

/** A cache record is 8 bytes of expiry (float64 ms since epoch, 0 = never) followed by the encoded value. */
const HEADER = 8;

export function encodeRecord(entry: StoredEntry): Buffer {
  const record = Buffer.allocUnsafe(HEADER + entry.value.byteLength);
  record.writeDoubleLE(entry.expiresAt ?? 0, 0);
  record.set(entry.value, HEADER);
  return record;
}

/**
 * A record as lmdb handed it over, viewed as a Buffer without copying: lmdb returns a plain
 * Uint8Array over its memory map for records of 16 MiB and more, a Buffer below that.
 */
function asBuffer(record: Uint8Array): Buffer {
  return Buffer.isBuffer(record) ? record : Buffer.from(record.buffer, record.byteOffset, record.length);
}

/** The entry in a record read with getBinaryFast, whose buffer lmdb reuses on the next read: the value is copied out. */
export function decodeSharedRecord(record: Uint8Array, key: string): StoredEntry {
  if (record.length < HEADER) throw new CorruptDataError(`lmdb cache record of "${key}" is ${record.length} bytes`);
  const bytes = asBuffer(record);
  const expiresAt = bytes.readDoubleLE(0);
  const value = Buffer.allocUnsafe(record.length - HEADER);
  bytes.copy(value, 0, HEADER, record.length);
  return { value, expiresAt: expiresAt === 0 ? null : expiresAt };
}

/** The expiry of a record without copying its value. */
export function recordExpiresAt(record: Uint8Array): number | null {
  const expiresAt = record.length >= HEADER ? asBuffer(record).readDoubleLE(0) : 0;
  return expiresAt === 0 ? null : expiresAt;
}
