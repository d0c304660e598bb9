import { CorruptDataError, SerializationError } from "../errors.js";
import { assertStoredBytes, type Codec } from "./codec.js";
import { arrayMembers, type Members, objectMembers, passes, walkValue } from "./value-walk.js";

const MSGPACK_TAG = 0xc1;

/**
 * What JSON keeps exactly: strings, booleans, null, finite numbers but -0, arrays without holes
 * or extra properties, and plain objects without symbol keys. Everything else it would change
 * (undefined, NaN, -0, Dates, class instances, functions, …) is refused.
 */
function inspectJson(
  value: unknown,
  refuse: (why: string) => never,
  refuseObject: ((object: object) => boolean) | undefined,
): Members | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      if (!Number.isFinite(value)) refuse(`is ${value}; JSON has no such number`);
      if (Object.is(value, -0)) refuse("is -0, which JSON stores as 0");
      return undefined;
    case "object": {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        if (refuseObject?.(value)) refuse("is refused by this store");
        return arrayMembers(value, refuse);
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const kind = (value as object).constructor?.name ?? "object";
        refuse(
          `is a ${kind}; the JSON codec stores plain objects, arrays, strings, finite numbers, booleans and null (use the msgpack codec for ${kind})`,
        );
      }
      if (refuseObject?.(value)) refuse("is refused by this store");
      return objectMembers(value, refuse);
    }
    default:
      return refuse(`is a ${typeof value}; the JSON codec cannot store it`);
  }
}

/** Throws SerializationError, naming the path, unless JSON keeps `value` exactly. */
function assertPortableJson(value: unknown, refuseObject?: (object: object) => boolean): void {
  walkValue(value, (member, refuse) => inspectJson(member, refuse, refuseObject));
}

/**
 * True when JSON keeps `value` exactly: plain objects, arrays, strings, finite numbers (not -0),
 * booleans and null, without cycles, nested at most MAX_VALUE_DEPTH deep. `refuse` may turn down
 * further objects (e.g. ones another serializer would revive differently).
 */
export function isPortableJson(value: unknown, refuse?: (object: object) => boolean): boolean {
  return passes(() => assertPortableJson(value, refuse));
}

/**
 * The JSON text of a portable value. JSON.stringify escapes lone surrogates (well-formed
 * JSON.stringify), so the text always has an exact UTF-8 encoding.
 */
function jsonText(value: unknown): string {
  assertPortableJson(value);
  try {
    return JSON.stringify(value);
  } catch (error) {
    // Only a getter that changed its answer since the walk can get here.
    throw new SerializationError(`the JSON codec cannot encode this value: ${(error as Error)?.message}`, {
      cause: error,
    });
  }
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
