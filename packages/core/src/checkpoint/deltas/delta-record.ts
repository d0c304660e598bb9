import { crc32 } from "node:zlib";
import { CorruptDataError } from "../../errors.js";

/**
 * A delta record: the elements a channel's array gained since the record its chain names below it.
 * Layout: tag 0xD1, CRC-32 (of what follows), depth, start (index of its first element), count,
 * then each element as length + codec bytes; integers are u32 big-endian.
 */
const TAG = 0xd1;
const HEAD = 1 + 4 + 12;

export interface DeltaRecord {
  depth: number;
  start: number;
  elements: Uint8Array[];
}

export function encodeDeltaRecord(depth: number, start: number, elements: readonly Uint8Array[]): Uint8Array {
  let size = HEAD;
  for (const element of elements) size += 4 + element.byteLength;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes[0] = TAG;
  view.setUint32(5, depth);
  view.setUint32(9, start);
  view.setUint32(13, elements.length);
  let at = HEAD;
  for (const element of elements) {
    view.setUint32(at, element.byteLength);
    bytes.set(element, at + 4);
    at += 4 + element.byteLength;
  }
  view.setUint32(1, crc32(bytes.subarray(5)));
  return bytes;
}

/** The record in `bytes`; ERR_CORRUPT_DATA when a byte is wrong or missing (never other elements). */
export function decodeDeltaRecord(bytes: Uint8Array, what: string): DeltaRecord {
  const damaged = (why: string) => new CorruptDataError(`the delta record of ${what} is damaged: ${why}`);
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < HEAD || bytes[0] !== TAG) throw damaged("no header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(1) !== crc32(bytes.subarray(5))) throw damaged("checksum mismatch");
  const count = view.getUint32(13);
  const elements: Uint8Array[] = [];
  let at = HEAD;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.byteLength) throw damaged("truncated");
    const length = view.getUint32(at);
    if (at + 4 + length > bytes.byteLength) throw damaged("truncated");
    elements.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (at !== bytes.byteLength) throw damaged("trailing bytes");
  return { depth: view.getUint32(5), start: view.getUint32(9), elements };
}
