import fc from "fast-check";

/** The longest identifier, in bytes of UTF-8 (core's MAX_KEY_BYTES). */
export const LIMIT_BYTES = 1024;

/** Every separator some backend's layout uses (Redis keys and tags, paths, globs, SQL LIKE, NUL-joined tuples). */
export const SEPARATORS: readonly string[] = [
  ":",
  "{",
  "}",
  "\0",
  "/",
  "\\",
  ".",
  "..",
  "%",
  "*",
  "?",
  "[",
  "]",
  "\n",
  " ",
  "}:cp:",
  "\0\u00ff",
];

/** Texts that differ only in case or Unicode normalisation: a backend that folds either mixes them up. */
export const TWINS: readonly string[] = ["é", "e\u0301", "Å", "A\u030a", "\u212b", "a", "A", "ß", "SS", "ǅ", "ﬁ", "fi"];

const piece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SEPARATORS) },
  { weight: 2, arbitrary: fc.constantFrom(...TWINS) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom("🦄", "\u{10ffff}", "\u{e000}", "\u{ffff}", "x", "0") },
);

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");

/** Pads `text` with multi-byte characters (then ASCII) to exactly the limit. */
function toLimit(text: string, filler: string): string {
  let out = text;
  while (byteLength(out) + byteLength(filler) <= LIMIT_BYTES) out += filler;
  while (byteLength(out) < LIMIT_BYTES) out += "x";
  return out;
}

/** Any identifier the contract accepts: well-formed, non-empty, at most 1024 bytes; often exactly 1024 in multi-byte characters. */
export function identifier(): fc.Arbitrary<string> {
  const short = fc
    .array(piece, { minLength: 1, maxLength: 8 })
    .map((pieces) => pieces.join(""))
    .filter((text) => text.length > 0 && text.isWellFormed() && byteLength(text) <= LIMIT_BYTES);
  const atLimit = fc
    .tuple(short, fc.constantFrom("é", "€", "🦄", "\0", "}"))
    .map(([head, filler]) => toLimit(head.slice(0, 64), filler))
    .filter((text) => text.isWellFormed() && byteLength(text) === LIMIT_BYTES);
  return fc.oneof({ weight: 5, arbitrary: short }, { weight: 1, arbitrary: atLimit });
}

/** A checkpoint ns: an identifier, or "" (the default ns). */
export function checkpointNs(): fc.Arbitrary<string> {
  return fc.oneof({ weight: 1, arbitrary: fc.constant("") }, { weight: 4, arbitrary: identifier() });
}

/**
 * Two pairs that a layout joining its components with `separator` turns into one text: `(a, b+s+c)`
 * and `(a+s+b, c)`, also with twins on each side. Both are valid identifiers (when not empty).
 */
export function shiftedPairs(allowEmptySecond = false): fc.Arbitrary<[[string, string], [string, string]]> {
  return fc
    .tuple(identifier(), fc.constantFrom(...SEPARATORS), fc.oneof(identifier(), fc.constant("")), identifier())
    .map(([a, s, b, c]): [[string, string], [string, string]] => [
      [a, `${b}${s}${c}`],
      [`${a}${s}${b}`, c],
    ])
    .filter((pairs) =>
      pairs.every(
        ([first, second]) =>
          byteLength(first) <= LIMIT_BYTES &&
          byteLength(second) <= LIMIT_BYTES &&
          first.length > 0 &&
          (allowEmptySecond || second.length > 0) &&
          first.isWellFormed() &&
          second.isWellFormed(),
      ),
    );
}

/** Identifiers every backend must refuse with ERR_INVALID_KEY before any I/O. */
export const REFUSED: readonly { name: string; value: string }[] = [
  { name: "a lone high surrogate", value: "\ud800" },
  { name: "a lone low surrogate", value: "\udbff" },
  { name: "a surrogate pair cut in two", value: "x\ud83e" },
  { name: "a lone surrogate inside", value: "a\udc00b" },
  { name: "1025 bytes of ASCII", value: "x".repeat(1025) },
  { name: "1025 bytes ending in a multi-byte character", value: `${"x".repeat(1023)}é` },
  { name: "1026 bytes of 4-byte characters", value: `${"🦄".repeat(256)}xx` },
];
