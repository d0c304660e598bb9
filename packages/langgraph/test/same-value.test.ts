import { jsonCodec, msgpackCodec } from "@stowage/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sameValue, UNKNOWN } from "../../core/src/checkpoint/deltas/same-value.js";

// The delta writer skips re-encoding a chain's elements when sameValue says the value given to put
// is the copy decoded from what was written: "true" must mean the codec writes the same bytes.
const codecs = [msgpackCodec, jsonCodec];

const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(0, -0, 1, "", "a", "\uD800"),
  ),
  node: fc.oneof(
    { depthSize: "small" },
    tie("leaf"),
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom("a", "b", "c", "role", "content"), tie("node"), { maxKeys: 4 }),
  ),
})).node;

// A tiny domain, so that two drawn values are often equal, or equal but for one leaf or key order.
const small = fc.letrec((tie) => ({
  leaf: fc.constantFrom(0, -0, 1, 1.5, "", "a", null, true, false),
  node: fc.oneof(
    { depthSize: "small" },
    tie("leaf"),
    fc.array(tie("node"), { maxLength: 2 }),
    fc.dictionary(fc.constantFrom("a", "b"), tie("node"), { maxKeys: 2 }),
  ),
})).node;

const encodes = (codec: typeof msgpackCodec, v: unknown): Uint8Array | undefined => {
  try {
    return codec.encode(v);
  } catch {
    return undefined;
  }
};

describe("sameValue", () => {
  for (const codec of codecs) {
    it(`${codec.name}: a value is the same as its own decoded copy`, () => {
      fc.assert(
        fc.property(value, (v) => {
          const bytes = encodes(codec, v);
          if (bytes === undefined) return;
          expect(sameValue(v, codec.decode(bytes))).toBe(true);
        }),
        { numRuns: 500 },
      );
    });

    it(`${codec.name}: "the same" as another value's copy only when the codec writes the same bytes`, () => {
      fc.assert(
        fc.property(small, small, (v, w) => {
          const bytes = encodes(codec, w);
          if (bytes === undefined) return;
          const same = sameValue(v, codec.decode(bytes));
          const mine = encodes(codec, v);
          if (same === true) expect(mine !== undefined && Buffer.compare(mine, bytes) === 0).toBe(true);
          if (mine !== undefined && Buffer.compare(mine, bytes) === 0) expect(same).not.toBe(false);
        }),
        { numRuns: 2000 },
      );
    });
  }

  it("near misses: -0 and 0, key order, a hole, an extra array property, a Date, bytes", () => {
    expect(sameValue(-0, 0)).toBe(false);
    expect(sameValue({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    const holey = [1, 2, 3];
    delete holey[1];
    expect(sameValue(holey, [1, undefined, 3])).toBe(UNKNOWN);
    expect(sameValue(Object.assign([1], { x: 1 }), [1])).toBe(UNKNOWN);
    expect(sameValue(new Date(0), new Date(0))).toBe(UNKNOWN);
    expect(sameValue(new Uint8Array([1, 2]), Buffer.from([1, 2]))).toBe(true);
    expect(sameValue(new Uint8Array([1, 2]), Buffer.from([1, 3]))).toBe(false);
    const throwing = {
      get a() {
        throw new Error("no");
      },
    };
    expect(sameValue(throwing, { a: 1 })).toBe(UNKNOWN);
  });
});
