import fc from "fast-check";
import type { Segment } from "./json-doc.js";

/**
 * Keys drawn from a small pool so that histories collide: keys that are prefixes of others, the
 * separators backends use in their layouts (`:`, `{`, `}`, `/`, `\`, `*`, `..`), and a
 * normalisation pair (é precomposed and decomposed: two keys).
 */
export const KEY_POOL = ["a", "ab", "a:b", "a:", "{a}", "a}", "a/b", "b", "..", "a*", "\\", "é", "e\u0301"] as const;

/** Prefixes for keys(): the empty one, prefixes of pool keys, and glob characters a backend must not expand. */
export const PREFIX_POOL = ["", "a", "a:", "{", "a*", "*", "b", "e", "é", "."] as const;

/** Four keys come up three times as often as the rest, so that most steps meet a key an earlier step wrote. */
const OFTEN = ["a", "a:b", "{a}", "é"] as const;
export const key = fc.oneof(
  { arbitrary: fc.constantFrom(...OFTEN), weight: 3 },
  { arbitrary: fc.constantFrom(...KEY_POOL), weight: 1 },
);
export const prefix = fc.constantFrom(...PREFIX_POOL);

/** Member names of documents and paths: a name that looks like an index, one that needs quotes, quotes inside. */
const MEMBERS = ["a", "b", "0", "a b", 'q"', "x-y"] as const;
// "a" and "b" come up more often, so paths meet the members documents have.
const member = fc.constantFrom("a", "b", ...MEMBERS);

const scalar = fc.oneof(
  fc.integer({ min: -3, max: 5 }),
  fc.constantFrom("x", "", "5", "a:b"),
  fc.boolean(),
  fc.constant(null),
);

/** Small JSON values: scalars (small integers, so incr applies), and documents of depth up to 3 over MEMBERS. */
export const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { arbitrary: scalar, weight: 3 },
    { arbitrary: fc.array(tie("value"), { maxLength: 3 }), weight: 1 },
    { arbitrary: fc.dictionary(member, tie("value"), { maxKeys: 3, noNullPrototype: true }), weight: 2 },
  ),
})).value;

/** Paths of up to 3 segments over the same members and small indices, with how each name is spelled. */
export const path: fc.Arbitrary<{ segments: Segment[]; quoting: number[] }> = fc
  .array(
    fc.tuple(
      fc.oneof({ arbitrary: member, weight: 2 }, { arbitrary: fc.constantFrom(0, 0, 1, 2), weight: 1 }),
      fc.nat(2),
    ),
    { maxLength: 3 },
  )
  .map((steps) => ({ segments: steps.map(([segment]) => segment), quoting: steps.map(([, quoting]) => quoting) }));

/** TTLs: mostly none or long enough to be deterministic (60 s and more), sometimes short enough to expire mid-history. */
export const SHORT_TTLS = [15, 40] as const;
export const ttl: fc.Arbitrary<number | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.constantFrom(60_000, 3_600_000), weight: 3 },
  { arbitrary: fc.constantFrom(...SHORT_TTLS), weight: 1 },
);
