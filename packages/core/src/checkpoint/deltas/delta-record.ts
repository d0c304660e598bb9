import { crc32 } from "node:zlib";
import { CorruptDataError } from "../../errors.js";

/**
 * A delta record (the first layout, still read): the elements a channel's array gained since the record its chain names below it.
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

/**
 * A chain record (the second layout): a channel's elements [start, start + count) and the channel
 * it belongs to, under a random name of its own (link-names.ts), so a channel map names each record
 * in a few bytes. Depth 0 is the chain's root (start 0, the whole array). Layout: tag 0xD2, CRC-32
 * (of what follows), depth, start, count (u32 big-endian), the channel's UTF-8 length (u16) and
 * bytes, then the codec's bytes of the elements as one array.
 */
const TAG2 = 0xd2;
const HEAD2 = 1 + 4 + 12 + 2;

export interface ChainRecord extends DeltaRecord {
  channel: string;
}

export function encodeChainRecord(
  channel: string,
  depth: number,
  start: number,
  count: number,
  elements: Uint8Array,
): Uint8Array {
  const name = Buffer.from(channel, "utf8");
  const bytes = new Uint8Array(HEAD2 + name.byteLength + elements.byteLength);
  const view = new DataView(bytes.buffer);
  bytes[0] = TAG2;
  view.setUint32(5, depth);
  view.setUint32(9, start);
  view.setUint32(13, count);
  view.setUint16(17, name.byteLength);
  bytes.set(name, HEAD2);
  bytes.set(elements, HEAD2 + name.byteLength);
  view.setUint32(1, crc32(bytes.subarray(5)));
  return bytes;
}

/** The record in `bytes`; ERR_CORRUPT_DATA when a byte is wrong or missing (never other elements). */
export function decodeChainRecord(bytes: Uint8Array, what: string): ChainRecord {
  const damaged = (why: string) => new CorruptDataError(`the chain record ${what} is damaged: ${why}`);
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < HEAD2 || bytes[0] !== TAG2) throw damaged("no header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(1) !== crc32(bytes.subarray(5))) throw damaged("checksum mismatch");
  const nameEnd = HEAD2 + view.getUint16(17);
  if (nameEnd > bytes.byteLength) throw damaged("its channel name runs past its end");
  return {
    depth: view.getUint32(5),
    start: view.getUint32(9),
    count: view.getUint32(13),
    channel: Buffer.from(bytes.buffer, bytes.byteOffset + HEAD2, nameEnd - HEAD2).toString("utf8"),
    elements: bytes.subarray(nameEnd),
  };
}
