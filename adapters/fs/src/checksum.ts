import * as zlib from "node:zlib";

/** CRC-32 table for Node releases before zlib.crc32 (20.15, 22.2): the same checksum, computed in JS. */
let table: Uint32Array | undefined;

function crc32InJs(bytes: Uint8Array, seed: number): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~seed >>> 0;
  for (const byte of bytes) crc = (table[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * CRC-32 (zlib's) of `chunks` taken as one byte string: what every record file of the store ends
 * with, so a flipped or missing byte reads as ERR_CORRUPT_DATA instead of as a different value.
 */
export function crc32(...chunks: readonly Uint8Array[]): number {
  let crc = 0;
  for (const chunk of chunks) {
    // Node 20's zlib.crc32 returns 0, dropping the running value, for an empty Buffer once that
    // Buffer has been through writevSync: skip empty chunks (they change nothing anyway).
    if (chunk.byteLength === 0) continue;
    crc = native ? native(chunk, crc) : crc32InJs(chunk, crc);
  }
  return crc >>> 0;
}
