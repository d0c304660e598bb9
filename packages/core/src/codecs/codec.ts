/** Turns values into the bytes a backend stores, and back. */
export interface Codec {
  /** The name used in configuration: "json" or "msgpack". */
  readonly name: string;
  /** Returns the bytes for `value`; throws SerializationError (nothing is written) when it cannot. */
  encode(value: unknown): Uint8Array;
  /** Returns the value for stored bytes; throws CorruptDataError when they are not this codec's. */
  decode(bytes: Uint8Array): unknown;
}
