import { crc32 } from "node:zlib";
import { CorruptDataError } from "../../errors.js";

/**
 * A delta record: the elements a channel's array gained since the record its chain names below it.
 * Layout: tag 0xD1, CRC-32 (of what follows), depth, start (index of its first element), count, then
 * the codec's bytes of those elements as one array (one codec call, not one per element); u32 big-endian.
 */
const TAG = 0xd1;
const HEAD = 1 + 4 + 12;

export interface DeltaRecord {
  depth: number;
  start: number;
  count: number;
  /** The codec's bytes of the appended elements, as an array. */
  elements: Uint8Array;
}

export function encodeDeltaRecord(depth: number, start: number, count: number, elements: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HEAD + elements.byteLength);
  const view = new DataView(bytes.buffer);
  bytes[0] = TAG;
  view.setUint32(5, depth);
  view.setUint32(9, start);
  view.setUint32(13, count);
  bytes.set(elements, HEAD);
  view.setUint32(1, crc32(bytes.subarray(5)));
  return bytes;
}

/** The record in `bytes`; ERR_CORRUPT_DATA when a byte is wrong or missing (never other elements). */
export function decodeDeltaRecord(bytes: Uint8Array, what: string): DeltaRecord {
  const damaged = (why: string) => new CorruptDataError(`the delta record of ${what} is damaged: ${why}`);
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < HEAD || bytes[0] !== TAG) throw damaged("no header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(1) !== crc32(bytes.subarray(5))) throw damaged("checksum mismatch");
  return {
    depth: view.getUint32(5),
    start: view.getUint32(9),
    count: view.getUint32(13),
    elements: bytes.subarray(HEAD),
  };
}
