import { CorruptDataError } from "@stowage/core";

/**
 * Order-preserving binary keys for tuples of strings and numbers (the FoundationDB tuple idea):
 * a string is 0x02, its UTF-8 with each 0x00 written as 0x00 0xFF, then 0x00; a number is 0x03
 * and 8 bytes of an order-preserving double. Unlike lmdb's own array keys, a NUL inside a string
 * cannot make two tuples collide, and the encoding of a tuple is a prefix of every longer tuple
 * that starts with it, so "everything under (namespace, thread)" is one contiguous range.
 */
export type TuplePart = string | number;

const STRING = 0x02;
const NUMBER = 0x03;
/** Greater than every byte that can follow a complete part, so prefix + END bounds a prefix range. */
const END = 0xff;

const scratch = new DataView(new ArrayBuffer(8));

/** The key for a tuple. */
export function encodeTuple(parts: readonly TuplePart[]): Buffer {
  // A UTF-16 unit is at most 3 bytes of UTF-8, and an escaped NUL is 2: the size is an upper bound.
  let size = 0;
  for (const part of parts) size += typeof part === "number" ? 9 : part.length * 3 + 2;
  const key = Buffer.allocUnsafe(size);
  let at = 0;
  for (const part of parts) {
    if (typeof part === "number") {
      key[at] = NUMBER;
      scratch.setFloat64(0, part);
      // Flip the sign bit of positives and every bit of negatives, so bytes compare like the numbers.
      const negative = (scratch.getUint8(0) & 0x80) !== 0;
      for (let i = 0; i < 8; i++) {
        const byte = scratch.getUint8(i);
        key[at + 1 + i] = negative ? ~byte & 0xff : i === 0 ? byte ^ 0x80 : byte;
      }
      at += 9;
      continue;
    }
    key[at++] = STRING;
    if (!part.includes("\0")) at += key.write(part, at, "utf8");
    else
      for (const byte of Buffer.from(part, "utf8")) {
        key[at++] = byte;
        if (byte === 0) key[at++] = 0xff;
      }
    key[at++] = 0;
  }
  return key.subarray(0, at);
}

/**
 * encodeTuple([...prefixParts, last]) for a string `last`, given encodeTuple(prefixParts): the
 * hot path of every cache read and write, so it avoids building an intermediate array.
 */
export function appendString(prefix: Buffer, last: string, into?: Buffer): Buffer {
  const size = prefix.length + 2 + last.length * 3;
  const key = into && into.length >= size ? into : Buffer.allocUnsafe(size);
  prefix.copy(key, 0);
  key[prefix.length] = STRING;
  const start = prefix.length + 1;
  let end = start + key.write(last, start, "utf8");
  if (last.includes("\0")) {
    const escaped: number[] = [];
    for (let i = start; i < end; i++) {
      escaped.push(key[i] as number);
      if (key[i] === 0) escaped.push(0xff);
    }
    return Buffer.concat([key.subarray(0, start), Buffer.from(escaped), Buffer.from([0])]);
  }
  key[end++] = 0;
  return key.subarray(0, end);
}

/** The key range [start, end) holding every tuple that starts with `parts`. */
export function tupleRange(parts: readonly TuplePart[]): { start: Buffer; end: Buffer } {
  const start = encodeTuple(parts);
  return { start, end: Buffer.concat([start, Buffer.from([END])]) };
}

/** The range of tuples `[...parts, s, …]` whose next string part `s` starts with `prefix`. */
export function stringPrefixRange(parts: readonly TuplePart[], prefix: string): { start: Buffer; end: Buffer } {
  const withTerminator = appendString(encodeTuple(parts), prefix);
  // Without the terminator, so every longer string that starts with `prefix` falls inside.
  const start = withTerminator.subarray(0, withTerminator.length - 1);
  return { start, end: Buffer.concat([start, Buffer.from([END])]) };
}

/** The parts of a key written by encodeTuple. */
export function decodeTuple(key: Uint8Array): TuplePart[] {
  const parts: TuplePart[] = [];
  let i = 0;
  while (i < key.length) {
    const tag = key[i++];
    if (tag === NUMBER) {
      if (i + 8 > key.length) throw new CorruptDataError("lmdb key: truncated number");
      const negative = ((key[i] as number) & 0x80) === 0;
      for (let j = 0; j < 8; j++) {
        const byte = key[i + j] as number;
        scratch.setUint8(j, negative ? ~byte & 0xff : j === 0 ? byte ^ 0x80 : byte);
      }
      parts.push(scratch.getFloat64(0));
      i += 8;
    } else if (tag === STRING) {
      let end = i;
      let escaped = false;
      for (;;) {
        if (end >= key.length) throw new CorruptDataError("lmdb key: unterminated string");
        if (key[end] === 0) {
          if (key[end + 1] !== 0xff) break;
          escaped = true;
          end += 2;
        } else end++;
      }
      const bytes = Buffer.from(key.buffer, key.byteOffset + i, end - i);
      if (!escaped) parts.push(bytes.toString("utf8"));
      else {
        const unescaped: number[] = [];
        for (let j = 0; j < bytes.length; j++) {
          unescaped.push(bytes[j] as number);
          if (bytes[j] === 0) j++;
        }
        parts.push(Buffer.from(unescaped).toString("utf8"));
      }
      i = end + 1;
    } else throw new CorruptDataError(`lmdb key: unknown part tag ${String(tag)}`);
  }
  return parts;
}
