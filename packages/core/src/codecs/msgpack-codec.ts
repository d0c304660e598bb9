import { Packr } from "msgpackr";
import { CorruptDataError, SerializationError } from "../errors.js";
import { assertStoredBytes, type Codec } from "./codec.js";
import { jsonCodec } from "./json-codec.js";
import { arrayMembers, type Members, objectMembers, walkValue } from "./value-walk.js";

// 0xc1 is the one byte msgpack never uses, so it marks our encoding apart from JSON text
// (counters written by incr are decimal text on every backend, and read back here as JSON).
const MSGPACK_TAG = 0xc1;

// Records (msgpackr's inline object shapes) let plain objects and Maps decode as what they were.
const packr = new Packr({
  useRecords: true,
  moreTypes: true,
  mapsAsObjects: false,
  int64AsType: "bigint",
  useBigIntExtension: true,
});

/** Objects msgpackr stores whole and revives as the same class (checked against msgpackr by the codec property test). */
const BINARY_LEAVES = new Set<unknown>(
  [
    Date,
    RegExp,
    ArrayBuffer,
    DataView,
    Buffer,
    Uint8Array,
    Int8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  ].map((type) => type.prototype),
);

function assertNoOwnProperties(value: object, kind: string, refuse: (why: string) => never): void {
  if (Object.keys(value).length > 0 || Object.getOwnPropertySymbols(value).length > 0) {
    refuse(`is a ${kind} with extra properties, which the msgpack codec would drop`);
  }
}

/**
 * What msgpack keeps exactly: JSON's values plus NaN, ±Infinity, undefined inside containers,
 * BigInts, Dates, RegExps, binary data, Maps and Sets. Everything else it would change (-0,
 * lone surrogates, class instances, Errors, functions, symbols) is refused.
 */
function inspectMsgpack(value: unknown, refuse: (why: string) => never): Members | undefined {
  switch (typeof value) {
    case "boolean":
    case "bigint":
    case "undefined":
      return undefined;
    case "string":
      if (!value.isWellFormed()) refuse("contains a lone UTF-16 surrogate, which msgpack (UTF-8) would replace");
      return undefined;
    case "number":
      if (Object.is(value, -0)) refuse("is -0, which msgpack stores as 0");
      return undefined;
    case "object": {
      if (value === null) return undefined;
      if (Array.isArray(value)) return arrayMembers(value, refuse);
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) {
        const members = objectMembers(value, refuse);
        for (const label of members.labels ?? []) {
          if (!label.isWellFormed()) refuse(`has the key ${JSON.stringify(label)} with a lone UTF-16 surrogate`);
          // msgpackr revives objects by assignment, so an own "__proto__" member would become the prototype.
          if (label === "__proto__") refuse('has an own "__proto__" member, which the msgpack codec would drop');
        }
        return members;
      }
      if (BINARY_LEAVES.has(proto)) {
        if (proto === Date.prototype || proto === RegExp.prototype)
          assertNoOwnProperties(value, proto.constructor.name, refuse);
        return undefined;
      }
      if (proto === Map.prototype) {
        assertNoOwnProperties(value, "Map", refuse);
        const values: unknown[] = [];
        for (const [key, member] of value as Map<unknown, unknown>) values.push(key, member);
        return { values };
      }
      if (proto === Set.prototype) {
        assertNoOwnProperties(value, "Set", refuse);
        return { values: [...(value as Set<unknown>)] };
      }
      const kind = (value as object).constructor?.name ?? "object";
      return refuse(
        `is a ${kind}; the msgpack codec stores plain objects, arrays, Maps, Sets, Dates, RegExps, binary data, BigInts and primitives`,
      );
    }
    default:
      return refuse(`is a ${typeof value}; the msgpack codec cannot store it`);
  }
}

/** Binary codec (msgpackr): keeps Buffers, Dates, Maps, Sets and BigInts as they were. */
export const msgpackCodec: Codec = {
  name: "msgpack",
  encode(value) {
    if (value === undefined) throw new SerializationError("value is undefined; store null instead");
    walkValue(value, inspectMsgpack);
    try {
      const body = packr.pack(value);
      const out = Buffer.allocUnsafe(body.length + 1);
      out[0] = MSGPACK_TAG;
      body.copy(out, 1);
      return out;
    } catch (error) {
      throw new SerializationError(`the msgpack codec cannot encode this value: ${(error as Error).message}`, {
        cause: error,
      });
    }
  },
  decode(bytes) {
    assertStoredBytes(bytes);
    if (bytes[0] !== MSGPACK_TAG) return jsonCodec.decode(bytes);
    try {
      return packr.unpack(bytes.subarray(1));
    } catch (error) {
      throw new CorruptDataError("the stored value is not valid msgpack", { cause: error });
    }
  },
};
