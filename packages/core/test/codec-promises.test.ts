import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonCodec, msgpackCodec } from "../src/codecs/index.js";
import { MAX_VALUE_DEPTH } from "../src/codecs/value-walk.js";
import { isStowageError } from "../src/errors.js";

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** Member names, biased toward the ones a decoder may treat specially. */
const memberName = fc.oneof(
  fc.string({ unit: "binary", maxLength: 4 }),
  fc.constantFrom("__proto__", "constructor", "toJSON", "prototype", "0", "length"),
);

/** Values of every kind a user may hand a codec, including the ones a codec would change. */
const anyValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string({ unit: "binary", maxLength: 6 }),
    fc.double(),
    fc.constantFrom(-0, 0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.bigInt(),
    fc.date({ noInvalidDate: true }),
    fc.string().map((s) => Symbol(s)),
    fc.constant(() => 1),
    fc.uint8Array({ maxLength: 4 }).map((bytes) => Buffer.from(bytes)),
    fc.tuple(fc.double(), fc.double()).map(([x, y]) => new Point(x, y)),
  ),
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("leaf"), tie("container")),
  container: fc.oneof(
    fc.array(tie("node"), { maxLength: 4 }),
    fc.sparseArray(tie("node"), { maxLength: 4 }),
    fc
      .tuple(fc.array(tie("node"), { maxLength: 3 }), fc.string({ minLength: 1, maxLength: 3 }), tie("node"))
      .map(([array, name, extra]) => Object.assign(array, { [Number.isNaN(Number(name)) ? name : `x${name}`]: extra })),
    fc.dictionary(memberName, tie("node"), { maxKeys: 4, noNullPrototype: true }),
    fc
      .tuple(
        fc.dictionary(fc.string({ maxLength: 3 }), tie("node"), { maxKeys: 2, noNullPrototype: true }),
        tie("node"),
      )
      .map(([object, value]) => Object.assign(object, { [Symbol("s")]: value })),
    tie("node").map((value) => ({ toJSON: () => value })),
    tie("node").map((value) => ({
      get read() {
        return value;
      },
    })),
    fc.constant({
      get broken(): never {
        throw new Error("this getter throws");
      },
    }),
    fc.array(fc.tuple(tie("node"), tie("node")), { maxLength: 3 }).map((pairs) => new Map(pairs)),
    fc.array(tie("node"), { maxLength: 3 }).map((items) => new Set(items)),
  ),
})).node;

/** The codec's promise: a value either comes back exactly (same types, -0, keys, holes) or is a SerializationError. */
function keepsOrRefuses(codec: typeof jsonCodec, value: unknown): void {
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(value);
  } catch (error) {
    if (!isStowageError(error, "ERR_SERIALIZATION")) throw error;
    return;
  }
  const back = codec.decode(bytes);
  if (!isDeepStrictEqual(back, value)) {
    throw new Error(`the ${codec.name} codec accepted a value it changed: got back ${String(back)}`);
  }
  if (codec.encodeText) expect(Buffer.from(codec.encodeText(value), "utf8")).toEqual(Buffer.from(bytes));
}

function nested(depth: number): unknown[] {
  const root: unknown[] = [];
  let current = root;
  for (let i = 1; i < depth; i++) {
    const next: unknown[] = [];
    current.push(next);
    current = next;
  }
  return root;
}

describe("codec promises", () => {
  for (const codec of [jsonCodec, msgpackCodec]) {
    it(`the ${codec.name} codec gives back exactly what it accepted, and refuses the rest with ERR_SERIALIZATION`, () => {
      fc.assert(
        fc.property(anyValue, (value) => keepsOrRefuses(codec, value)),
        { numRuns: 2000 },
      );
    });

    it(`the ${codec.name} codec keeps nesting up to MAX_VALUE_DEPTH and refuses deeper or cyclic values with ERR_SERIALIZATION`, () => {
      const atLimit = nested(MAX_VALUE_DEPTH);
      expect(isDeepStrictEqual(codec.decode(codec.encode(atLimit)), atLimit)).toBe(true);
      for (const deep of [nested(MAX_VALUE_DEPTH + 1), nested(10_000), { a: nested(100_000) }]) {
        expect(() => codec.encode(deep)).toThrow(expect.objectContaining({ code: "ERR_SERIALIZATION" }));
      }
      const cyclic: Record<string, unknown> = { list: [] };
      (cyclic.list as unknown[]).push(new Map([["back", cyclic]]));
      expect(() => codec.encode(cyclic)).toThrow(expect.objectContaining({ code: "ERR_SERIALIZATION" }));
    });
  }

  it("the JSON codec accepts every JSON value without -0, and refuses -0, symbol keys and extra array properties", () => {
    const hasNegativeZero = (value: unknown): boolean =>
      Object.is(value, -0) ||
      (typeof value === "object" && value !== null && Object.values(value).some(hasNegativeZero));
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        fc.pre(!hasNegativeZero(value));
        expect(isDeepStrictEqual(jsonCodec.decode(jsonCodec.encode(value)), value)).toBe(true);
      }),
      { numRuns: 300 },
    );
    for (const changed of [-0, [1, -0], { [Symbol("s")]: 1 }, Object.assign([1], { extra: 2 }), new Array(3)]) {
      expect(() => jsonCodec.encode(changed)).toThrow(expect.objectContaining({ code: "ERR_SERIALIZATION" }));
    }
  });

  it("both codecs accept an object without a prototype and read it back as a plain object", () => {
    for (const codec of [jsonCodec, msgpackCodec]) {
      const bare = Object.assign(Object.create(null), { a: 1 });
      expect(codec.decode(codec.encode(bare))).toEqual({ a: 1 });
    }
  });
});
