import { SerializationError } from "./errors.js";

/** Counters are decimal integer text on every backend, so Redis INCRBY works natively and JSON reads them as numbers. */
export function encodeCounter(value: number): Uint8Array {
  return Buffer.from(String(value), "ascii");
}

/** The integer a counter entry holds; SerializationError when the entry is not one. */
export function decodeCounter(bytes: Uint8Array, key: string): number {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  if (!/^-?\d{1,16}$/.test(text)) throw new SerializationError(`incr on "${key}": the stored value is not an integer`);
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new SerializationError(`incr on "${key}": the stored integer is out of range`);
  return value;
}

/** Adds with a range check, for drivers that compute counters themselves. */
export function addToCounter(current: number, by: number, key: string): number {
  const next = current + by;
  if (!Number.isSafeInteger(next)) throw new SerializationError(`incr on "${key}" would leave the safe integer range`);
  return next;
}
