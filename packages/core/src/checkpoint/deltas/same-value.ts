/** Deeper than this, sameValue answers "unknown" (the caller compares encodings instead). */
const MAX_DEPTH = 100;

/** The answer when a value holds something sameValue does not compare: the caller compares the codec's bytes. */
export const UNKNOWN = 2;

const BYTE_PROTOS = new Set<unknown>([Uint8Array.prototype, Buffer.prototype]);

/**
 * Whether `value` (given to put) is the same data as `copy` (decoded from the bytes written), so
 * that the codec would write the same bytes for it: true, false, or UNKNOWN. It compares plain
 * objects (own string keys in order; symbol keys, which no codec stores, are not looked at), arrays without holes or extra properties, strings,
 * numbers (Object.is: -0 is not 0), booleans, null, undefined, bigints and byte arrays; anything
 * else (Dates, Maps, class instances, …) is UNKNOWN. A getter that throws is UNKNOWN too.
 */
export function sameValue(value: unknown, copy: unknown): boolean | typeof UNKNOWN {
  try {
    return compare(value, copy, 0);
  } catch {
    return UNKNOWN;
  }
}

function compare(value: unknown, copy: unknown, depth: number): boolean | typeof UNKNOWN {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol") return UNKNOWN;
    return Object.is(value, copy);
  }
  if (typeof copy !== "object" || copy === null) return false;
  if (depth >= MAX_DEPTH) return UNKNOWN;
  if (Array.isArray(value)) {
    if (!Array.isArray(copy) || value.length !== copy.length) return false;
    let answer: boolean | typeof UNKNOWN = true;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return UNKNOWN;
      const member = value[i];
      if (typeof member === "string") {
        if (member !== copy[i]) return false;
        continue;
      }
      const same = compare(member, copy[i], depth + 1);
      if (same === false) return false;
      if (same === UNKNOWN) answer = UNKNOWN;
    }
    // Extra properties or symbol keys on an array: the codec refuses them, let it say so.
    if (Object.keys(value).length !== value.length || Object.getOwnPropertySymbols(value).length > 0) return UNKNOWN;
    return answer;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && BYTE_PROTOS.has(proto)) {
    if (!(copy instanceof Uint8Array)) return false;
    const bytes = value as Uint8Array;
    return bytes.byteLength === copy.byteLength && Buffer.compare(bytes, copy) === 0;
  }
  if (proto !== Object.prototype && proto !== null) return UNKNOWN;
  if (Array.isArray(copy) || copy instanceof Uint8Array) return false;
  const keys = Object.keys(value);
  // The copy's keys in order, without an array of them (the copy is a plain decoded object).
  let k = 0;
  for (const key in copy) if (keys[k++] !== key) return false;
  if (k !== keys.length) return false;
  let answer: boolean | typeof UNKNOWN = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key === "__proto__") return UNKNOWN;
    const member = (value as Record<string, unknown>)[key];
    if (typeof member === "string") {
      if (member !== (copy as Record<string, unknown>)[key]) return false;
      continue;
    }
    const same = compare(member, (copy as Record<string, unknown>)[key], depth + 1);
    if (same === false) return false;
    if (same === UNKNOWN) answer = UNKNOWN;
  }
  return answer;
}
