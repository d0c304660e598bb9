import { CorruptDataError, SerializationError } from "../errors.js";
import { assertStoredBytes, type Codec } from "./codec.js";

const MSGPACK_TAG = 0xc1;

/** Rejects what JSON.stringify would silently change (undefined, NaN, Dates, class instances, cycles). */
function assertPortableJson(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new SerializationError(`${path} is ${value}; JSON has no such number`);
      return;
    case "object": {
      if (value === null) return;
      if (seen.has(value)) throw new SerializationError(`${path} is a circular reference`);
      if (Array.isArray(value)) {
        seen.add(value);
        for (let i = 0; i < value.length; i++) assertPortableJson(value[i], `${path}[${i}]`, seen);
        seen.delete(value);
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const kind = (value as object).constructor?.name ?? "object";
        throw new SerializationError(
          `${path} is a ${kind}; the JSON codec stores plain objects, arrays, strings, finite numbers, booleans and null (use the msgpack codec for ${kind})`,
        );
      }
      seen.add(value);
      for (const key of Object.keys(value)) {
        assertPortableJson((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
      }
      seen.delete(value);
      return;
    }
    default:
      throw new SerializationError(`${path} is a ${typeof value}; the JSON codec cannot store it`);
  }
}

/**
 * The common case without allocations: true when `value` is portable JSON (and `refuse` says no
 * to none of its objects). Objects on the current path are kept in `stack` (a cycle is a repeat
 * on it); paths are built only by assertPortableJson, which runs when this says no, to name the culprit.
 */
function portable(value: unknown, stack: object[], refuse: ((object: object) => boolean) | undefined): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (stack.includes(value)) return false;
      const isArray = Array.isArray(value);
      if (!isArray) {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) return false;
      }
      if (refuse?.(value)) return false;
      stack.push(value);
      let ok = true;
      if (isArray) {
        for (let i = 0; ok && i < value.length; i++) ok = portable(value[i], stack, refuse);
      } else {
        for (const key in value) {
          if (!Object.hasOwn(value, key)) continue;
          if (!portable((value as Record<string, unknown>)[key], stack, refuse)) {
            ok = false;
            break;
          }
        }
      }
      stack.pop();
      return ok;
    }
    default:
      return false;
  }
}

const pathStack: object[] = [];

/**
 * True when JSON keeps `value` exactly: plain objects, arrays, strings, finite numbers, booleans
 * and null, without cycles. `refuse` may turn down further objects (e.g. ones another serializer
 * would revive differently).
 */
export function isPortableJson(value: unknown, refuse?: (object: object) => boolean): boolean {
  return portable(value, [], refuse);
}

/**
 * The JSON text of a portable value. JSON.stringify escapes lone surrogates (well-formed
 * JSON.stringify), so the text always has an exact UTF-8 encoding.
 */
function jsonText(value: unknown): string {
  pathStack.length = 0; // encoding is synchronous, so one stack serves every call
  if (!portable(value, pathStack, undefined)) assertPortableJson(value, "value", new Set());
  return JSON.stringify(value);
}

/** The default codec: UTF-8 JSON text, readable from any language. */
export const jsonCodec: Codec = {
  name: "json",
  encode(value) {
    return Buffer.from(jsonText(value), "utf8");
  },
  encodeText: jsonText,
  decode(bytes) {
    assertStoredBytes(bytes);
    if (bytes[0] === MSGPACK_TAG) {
      throw new CorruptDataError(
        "the stored value was written with the msgpack codec; open the store with codec msgpack",
      );
    }
    try {
      return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
    } catch (error) {
      throw new CorruptDataError("the stored value is not valid JSON", { cause: error });
    }
  },
};
