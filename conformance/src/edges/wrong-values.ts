import type { StowageErrorCode } from "@stowage/core";

/** One wrong argument and the codes a store may answer it with. */
export interface WrongValue {
  readonly value: unknown;
  readonly codes: readonly StowageErrorCode[];
  /** Shown in the test output. */
  readonly label: string;
}

const IDENTIFIER: StowageErrorCode[] = ["ERR_INVALID_KEY", "ERR_INVALID_ARGUMENT"];
const ARGUMENT: StowageErrorCode[] = ["ERR_INVALID_ARGUMENT"];

function describeValue(value: unknown): string {
  if (typeof value === "string") return value.length > 24 ? `string of ${value.length}` : JSON.stringify(value);
  if (typeof value === "function") return "function";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol") return "symbol";
  try {
    const text = JSON.stringify(value, (_key, member) => (typeof member === "bigint" ? `${member}n` : member));
    if (text === undefined) return String(value);
    return text.length > 40 ? `${text.slice(0, 40)}…` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function wrong(codes: readonly StowageErrorCode[], values: unknown[]): WrongValue[] {
  return values.map((value) => ({ value, codes, label: Number.isNaN(value) ? "NaN" : describeValue(value) }));
}

/** Where a parameter may be left out, undefined is not wrong. */
const withUndefined = (values: unknown[], required: boolean) => (required ? [undefined, ...values] : values);

/** The wrong values of each kind of parameter the contracts take. */
export const wrongValues = {
  key: (required = true) =>
    wrong(["ERR_INVALID_KEY"], withUndefined(["", 42, null, {}, ["a"], "x".repeat(1025), "lone \uD800", 1n], required)),
  /**
   * Checkpoint ns, ids, channels, task ids given as something other than a string (which
   * strings each field accepts is the identifier fuzz group's to judge).
   */
  identifier: (required = true, allowEmpty = false) =>
    wrong(IDENTIFIER, withUndefined([...(allowEmpty ? [] : [""]), 42, null, {}, ["a"], 1n], required)),
  keyList: () => wrong(IDENTIFIER, [undefined, null, 42, "k", {}, [42], [null], [""], ["ok", "\uD800"]]),
  prefix: () => wrong(IDENTIFIER, [42, null, {}, ["a"], "\uD800", "x".repeat(1025)]),
  callback: () => wrong(ARGUMENT, [undefined, null, 42, "fn", {}, Promise.resolve(1)]),
  /** A positive integer of milliseconds (ttl, extendEveryMs). */
  positiveMs: (required = false) =>
    wrong(
      ARGUMENT,
      withUndefined(
        [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, "100", null, {}, true, 10n],
        required,
      ),
    ),
  /** A non-negative integer of milliseconds (waitMs). */
  nonNegativeMs: () => wrong(ARGUMENT, [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "100", null, {}, 10n]),
  /** A positive integer count (list limit, retryDelayMs). */
  positiveCount: () => wrong(ARGUMENT, [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10", null, {}, 10n]),
  /** A non-negative integer count that must be given (prune keepLast). */
  requiredCount: () => wrong(ARGUMENT, [undefined, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "1", null, {}, 1n]),
  /** An integer step (incr). */
  step: () => wrong(ARGUMENT, ["1", 1.5, Number.NaN, Number.POSITIVE_INFINITY, null, {}, 2 ** 60, 1n]),
  /** A write index: a safe integer, required. */
  index: () => wrong(ARGUMENT, [undefined, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "0", null, 2 ** 60, 0n]),
  /** A JSON path. */
  path: () =>
    wrong(ARGUMENT, [
      undefined,
      null,
      42,
      1n,
      {},
      "",
      "a.b",
      "$.__proto__",
      "$.a[",
      "$[-1]",
      `$${".a".repeat(10_000)}`,
    ]),
  /** An options object: anything but an object (or leaving it out). */
  options: () => wrong(ARGUMENT, [null, 42, "ttl", true, [1], 1n]),
  signal: () => wrong(ARGUMENT, [null, 42, "abort", {}, { aborted: false }]),
  jsonObject: () => wrong(ARGUMENT, [42, "x", [], true, () => 1]),
  /** A channel version: a string or a finite number. */
  version: () => wrong(ARGUMENT, [undefined, null, {}, [], true, Number.NaN, Number.POSITIVE_INFINITY]),
};
