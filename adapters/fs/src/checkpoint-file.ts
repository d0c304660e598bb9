import { closeSync, readFileSync, readSync } from "node:fs";
import { CorruptDataError, type StoredCheckpoint, type StoredWrite } from "@stowage/core";
import { openIfExists } from "./atomic-file.js";
import { crc32 } from "./checksum.js";
import { type Check, fstatSeen } from "./read-cache.js";

/**
 * Checkpoint, pending-write and blob files: a magic naming the kind, a 4-byte big-endian length,
 * that many bytes of JSON (everything but the opaque bytes; none for a blob), the opaque bytes
 * (payload or value), then the CRC-32 of everything before it. They are only ever made visible
 * whole (renamed or linked into place), so any file that does not check out was damaged after it
 * was written, and reads as ERR_CORRUPT_DATA: never as absent, never as different bytes.
 *
 * The first format (no magic, no checksum: a length and a JSON head beginning with "{", then the
 * bytes; blobs were the bare value) still reads. A first-format checkpoint was written in place,
 * so one shorter than its length says is one an older release was still writing (or was killed
 * while writing), and reads as absent, as it always did.
 */
const MAGIC = {
  checkpoint: Buffer.from([0xf5, 0xc1, 0x63, 0x02]),
  write: Buffer.from([0xf5, 0xc1, 0x78, 0x02]),
  blob: Buffer.from([0xf5, 0xc1, 0x62, 0x02]),
};
type Kind = keyof typeof MAGIC;
/** Magic, head length and the trailing checksum. */
const FRAME_BYTES = 12;
const NO_HEAD = Buffer.alloc(0);

function encode(kind: Kind, head: unknown, body: Uint8Array): Uint8Array[] {
  const json = head === undefined ? NO_HEAD : Buffer.from(JSON.stringify(head), "utf8");
  const prefix = Buffer.allocUnsafe(8);
  MAGIC[kind].copy(prefix, 0);
  prefix.writeUInt32BE(json.byteLength, 4);
  const trailer = Buffer.allocUnsafe(4);
  trailer.writeUInt32BE(crc32(prefix, json, body), 0);
  return json.byteLength > 0 ? [prefix, json, body, trailer] : [prefix, body, trailer];
}

/**
 * Three of the four magic bytes in place: the file is of this format (a flipped magic byte is
 * damage, not the first format). A first-format blob (a codec's bytes: JSON text, or 0xC1 then
 * msgpack) never has the first two (0xF5 and 0xC1 occur in no UTF-8 text, and no msgpack value
 * begins with 0xC1), so it has at most two of them.
 */
function hasMagic(bytes: Buffer, kind: Kind): boolean {
  const magic = MAGIC[kind];
  let same = 0;
  for (let i = 0; i < 4; i++) if (bytes[i] === magic[i]) same++;
  return same >= 3;
}

/** A first-format checkpoint or write: a 4-byte length, then JSON that opens with "{". */
const isFirstFormat = (bytes: Buffer) => bytes.byteLength >= 5 && bytes[4] === 0x7b;

function decode(kind: Kind, bytes: Buffer, path: string): { head: Record<string, unknown>; body: Buffer } {
  const size = bytes.byteLength;
  if (size < FRAME_BYTES || !bytes.subarray(0, 4).equals(MAGIC[kind])) {
    throw new CorruptDataError(`${kind} file ${path} has a damaged header (${size} bytes)`);
  }
  if (crc32(bytes.subarray(0, size - 4)) !== bytes.readUInt32BE(size - 4)) {
    throw new CorruptDataError(`${kind} file ${path} is damaged (checksum mismatch over ${size} bytes)`);
  }
  const length = bytes.readUInt32BE(4);
  if (8 + length > size - 4) throw new CorruptDataError(`${kind} file ${path} has a bad length`);
  const body = bytes.subarray(8 + length, size - 4);
  if (kind === "blob") return { head: {}, body };
  return { head: parseHead(bytes.subarray(8, 8 + length), path), body };
}

function parseHead(json: Buffer, path: string): Record<string, unknown> {
  let head: unknown;
  try {
    head = JSON.parse(json.toString("utf8"));
  } catch (error) {
    throw new CorruptDataError(`${path} has a damaged header`, { cause: error });
  }
  if (typeof head !== "object" || head === null || Array.isArray(head)) {
    throw new CorruptDataError(`${path} has a damaged header`);
  }
  return head as Record<string, unknown>;
}

/** The first format: length, JSON head, bytes; undefined when the file is shorter than its length says. */
function decodeFirstFormat(bytes: Buffer, path: string): { head: Record<string, unknown>; body: Buffer } | undefined {
  const length = bytes.readUInt32BE(0);
  if (4 + length > bytes.byteLength) return undefined;
  return { head: parseHead(bytes.subarray(4, 4 + length), path), body: bytes.subarray(4 + length) };
}

const isObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);
const isNumberOrNull = (value: unknown) => value === null || typeof value === "number";

function checkpointFrom(head: Record<string, unknown>, payload: Buffer, path: string): StoredCheckpoint {
  const { threadId, ns, id, parentId, metadata, channels, createdAt, expiresAt } = head;
  if (
    typeof threadId !== "string" ||
    typeof ns !== "string" ||
    typeof id !== "string" ||
    (parentId !== null && typeof parentId !== "string") ||
    !isObject(metadata) ||
    !isObject(channels) ||
    typeof createdAt !== "number" ||
    !isNumberOrNull(expiresAt)
  ) {
    throw new CorruptDataError(`checkpoint file ${path} has a damaged header (fields of the wrong type)`);
  }
  return { threadId, ns, id, parentId, metadata, channels, createdAt, expiresAt, payload } as StoredCheckpoint;
}

const FIRST_READ = 64 * 1024;
const scratch = Buffer.allocUnsafe(FIRST_READ);

/**
 * The bytes of a file, or undefined when it does not exist: one read for files under 64 KB (no
 * fstat). With `checks`, also records what the path held (its stat, taken before the read, or
 * nothing there) for the read cache.
 */
export function readIfExists(path: string, checks?: Check[]): Buffer | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) {
    checks?.push([path, undefined]);
    return undefined;
  }
  try {
    if (checks) checks.push([path, fstatSeen(fd)]);
    const got = readSync(fd, scratch, 0, FIRST_READ, 0);
    if (got < FIRST_READ) return Buffer.from(scratch.subarray(0, got));
    return readFileSync(fd); // the file position is still 0: the read above was positional
  } finally {
    closeSync(fd);
  }
}

export function encodeCheckpoint(checkpoint: StoredCheckpoint): Uint8Array[] {
  // The head keeps metadata as an object; core's text of it (metadataText) would only double it.
  const { payload, metadataText: _text, ...head } = checkpoint;
  return encode("checkpoint", head, payload);
}

/** The checkpoint a file holds; undefined only for a first-format file an older release did not finish writing. */
export function decodeCheckpoint(bytes: Buffer, path: string): StoredCheckpoint | undefined {
  if (!hasMagic(bytes, "checkpoint") && isFirstFormat(bytes)) {
    const record = decodeFirstFormat(bytes, path);
    if (record === undefined) return undefined;
    const { payloadBytes, ...head } = record.head;
    if (typeof payloadBytes !== "number" || record.body.byteLength < payloadBytes) return undefined;
    return checkpointFrom(head, record.body, path);
  }
  const { head, body } = decode("checkpoint", bytes, path);
  return checkpointFrom(head, body, path);
}

/** A pending write with the stamp that orders it among its checkpoint's writes (first insertion order). */
export interface StampedWrite extends StoredWrite {
  stamp: number;
}

export function encodeWrite(write: StoredWrite, stamp: number): Uint8Array[] {
  const { value, ...head } = write;
  return encode("write", { ...head, stamp }, value);
}

export function decodeWrite(bytes: Buffer, path: string): StampedWrite {
  let record: { head: Record<string, unknown>; body: Buffer } | undefined;
  if (!hasMagic(bytes, "write") && isFirstFormat(bytes)) {
    // First-format writes were always linked or renamed into place whole: a short one is damaged.
    record = decodeFirstFormat(bytes, path);
    if (record === undefined) throw new CorruptDataError(`${path} is cut short`);
  } else record = decode("write", bytes, path);
  const { taskId, index, channel, taskPath, stamp } = record.head;
  if (
    typeof taskId !== "string" ||
    !Number.isInteger(index) ||
    typeof channel !== "string" ||
    typeof taskPath !== "string" ||
    typeof stamp !== "number"
  ) {
    throw new CorruptDataError(`write file ${path} has a damaged header (fields of the wrong type)`);
  }
  return { taskId, index: index as number, channel, taskPath, stamp, value: record.body };
}

export function encodeBlob(value: Uint8Array): Uint8Array[] {
  return encode("blob", undefined, value);
}

/** A blob's value; a file without the magic is a first-format blob, the value itself. */
export function decodeBlob(bytes: Buffer, path: string): Buffer {
  return hasMagic(bytes, "blob") ? decode("blob", bytes, path).body : bytes;
}
