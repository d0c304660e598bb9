import { closeSync, readFileSync, readSync } from "node:fs";
import { CorruptDataError, type StoredCheckpoint, type StoredWrite } from "@stowage/core";
import { openIfExists } from "./atomic-file.js";

/**
 * Checkpoint and pending-write files: a 4-byte big-endian length, that many bytes of JSON
 * (everything but the opaque bytes), then the opaque bytes (payload or value).
 */
function encode(head: unknown, body: Uint8Array): Uint8Array[] {
  const json = Buffer.from(JSON.stringify(head), "utf8");
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(json.byteLength, 0);
  return [length, json, body];
}

function decode(bytes: Buffer, path: string): { head: Record<string, unknown>; body: Uint8Array } {
  const length = bytes.byteLength >= 4 ? bytes.readUInt32BE(0) : -1;
  if (length < 0 || 4 + length > bytes.byteLength) throw new CorruptDataError(`${path} is cut short`);
  let head: unknown;
  try {
    head = JSON.parse(bytes.subarray(4, 4 + length).toString("utf8"));
  } catch (error) {
    throw new CorruptDataError(`${path} has a damaged header`, { cause: error });
  }
  if (typeof head !== "object" || head === null) throw new CorruptDataError(`${path} has a damaged header`);
  return { head: head as Record<string, unknown>, body: bytes.subarray(4 + length) };
}

const FIRST_READ = 64 * 1024;
const scratch = Buffer.allocUnsafe(FIRST_READ);

/** The bytes of a file, or undefined when it does not exist: one read for files under 64 KB (no fstat). */
export function readIfExists(path: string): Buffer | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    const got = readSync(fd, scratch, 0, FIRST_READ, 0);
    if (got < FIRST_READ) return Buffer.from(scratch.subarray(0, got));
    return readFileSync(fd); // the file position is still 0: the read above was positional
  } finally {
    closeSync(fd);
  }
}

/** Checkpoint files carry their payload's length: a new one is written in place, and one not yet whole reads as absent. */
export function encodeCheckpoint(checkpoint: StoredCheckpoint): Uint8Array[] {
  const { payload, ...head } = checkpoint;
  return encode({ ...head, payloadBytes: payload.byteLength }, payload);
}

/** The checkpoint a file holds, or undefined while it is not whole (being written, or cut short by a crash). */
export function decodeCheckpoint(bytes: Buffer, path: string): StoredCheckpoint | undefined {
  if (bytes.byteLength < 4 || bytes.byteLength < 4 + bytes.readUInt32BE(0)) return undefined;
  const { head, body } = decode(bytes, path);
  const { payloadBytes, ...checkpoint } = head as Omit<StoredCheckpoint, "payload"> & { payloadBytes: number };
  if (body.byteLength < payloadBytes) return undefined;
  return { ...checkpoint, payload: body };
}

/** A pending write with the stamp that orders it among its checkpoint's writes (first insertion order). */
export interface StampedWrite extends StoredWrite {
  stamp: number;
}

export function encodeWrite(write: StoredWrite, stamp: number): Uint8Array[] {
  const { value, ...head } = write;
  return encode({ ...head, stamp }, value);
}

export function decodeWrite(bytes: Buffer, path: string): StampedWrite {
  const { head, body } = decode(bytes, path);
  return { ...(head as Omit<StampedWrite, "value">), value: body };
}
