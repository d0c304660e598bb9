import { CorruptDataError } from "../errors.js";

/** Turns values into the bytes a backend stores, and back. */
export interface Codec {
  /** The name used in configuration: "json" or "msgpack". */
  readonly name: string;
  /** Returns the bytes for `value`; throws SerializationError (nothing is written) when it cannot. */
  encode(value: unknown): Uint8Array;
  /**
   * Optional, for codecs whose bytes are UTF-8 text: the same encoding as text, so that `encode(v)`
   * equals the UTF-8 bytes of `encodeText(v)` (and throws where encode throws). A driver that can
   * hand text to its client (CacheDriver.setText) then skips encoding to bytes and back.
   */
  encodeText?(value: unknown): string;
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
