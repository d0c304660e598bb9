import { isStowageError } from "@stowage/core";
import type { Settled } from "./window.js";

/** What a call did, as the model compares it: the value it resolved with, or the code it failed with. */
export type Observed = { value: unknown } | { error: string };

/** One outcome the model allows for a step, and how to print it. */
export interface Expectation {
  accepts(observed: Observed): boolean;
  readonly text: string;
}

export function observed(settled: Settled<unknown>): Observed {
  if (settled.ok) return { value: settled.value };
  const error = settled.error;
  if (isStowageError(error)) return { error: error.code };
  // Anything else leaving the SDK is a defect in itself; its name and message say which.
  return { error: `${(error as Error)?.name ?? typeof error}: ${(error as Error)?.message ?? String(error)}` };
}

/** Resolves with exactly `value` (JSON-equal: member order does not matter). */
export function returns(value: unknown): Expectation {
  return {
    accepts: (seen) => "value" in seen && sameJson(seen.value, value),
    text: show(value),
  };
}

/** Resolves with a number in [lo, hi]. */
export function returnsBetween(lo: number, hi: number): Expectation {
  return {
    accepts: (seen) => "value" in seen && typeof seen.value === "number" && seen.value >= lo && seen.value <= hi,
    text: `a number in [${lo}, ${hi}]`,
  };
}

/** Rejects with a StowageError of `code`. */
export function failsWith(code: string): Expectation {
  return { accepts: (seen) => "error" in seen && seen.error === code, text: `error ${code}` };
}

export function showObserved(seen: Observed): string {
  return "value" in seen ? show(seen.value) : `error ${seen.error}`;
}

/** Deep equality of JSON-like values (also undefined, bigint and Infinity), ignoring member order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every(
    (key) => Object.hasOwn(bRecord, key) && sameJson((a as Record<string, unknown>)[key], bRecord[key]),
  );
}

/** A value as a history prints it: JSON with undefined, Infinity and bigints, non-ASCII escaped (é and e\u0301 differ). */
export function show(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "string") {
    return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  }
  if (Array.isArray(value)) return `[${value.map(show).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .map(([key, inner]) => `${show(key)}:${show(inner)}`)
      .join(",")}}`;
  }
  return String(value);
}
