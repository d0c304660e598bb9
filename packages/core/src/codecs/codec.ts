import type { CodecFastPaths } from "../drivers/fast-paths.js";
import { CorruptDataError } from "../errors.js";

/** Turns values into the bytes a backend stores, and back (its speed-only encodeText is in CodecFastPaths). */
export interface Codec extends CodecFastPaths {
  /** The name used in configuration: "json" or "msgpack". */
  readonly name: string;
  /** Returns the bytes for `value`; throws SerializationError (nothing is written) when it cannot. */
  encode(value: unknown): Uint8Array;
  /** Returns the value for stored bytes; throws CorruptDataError when they are not this codec's. */
  decode(bytes: Uint8Array): unknown;
}

/** What a codec's decode checks first: a backend that hands it anything but bytes holds a damaged record. */
export function assertStoredBytes(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new CorruptDataError(
      `a stored value read back as ${bytes === null ? "null" : typeof bytes}, not bytes: the record is damaged`,
    );
  }
}
