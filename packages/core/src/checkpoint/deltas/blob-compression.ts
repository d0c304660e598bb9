import { deflateRawSync, inflateRawSync } from "node:zlib";
import { CorruptDataError } from "../../errors.js";

/** First byte of a deflated blob: never the first byte of JSON text (ASCII), of msgpack (0xC1) or of a delta record (0xD1). */
const DEFLATED = 0xf5;

/** `bytes` deflated (zlib level 1, the fastest) when at least `threshold` long and smaller for it; else as they are. */
export function compressBlob(bytes: Uint8Array, threshold: number): Uint8Array {
  if (bytes.byteLength < threshold) return bytes;
  const deflated = deflateRawSync(bytes, { level: 1 });
  if (deflated.byteLength + 1 >= bytes.byteLength) return bytes;
  const out = new Uint8Array(deflated.byteLength + 1);
  out[0] = DEFLATED;
  out.set(deflated, 1);
  return out;
}

/** The bytes a blob was written as: inflated when compressBlob deflated them. */
export function inflateBlob(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes[0] !== DEFLATED) return bytes;
  try {
    return inflateRawSync(bytes.subarray(1));
  } catch (error) {
    throw new CorruptDataError("a compressed channel blob is damaged", { cause: error });
  }
}
