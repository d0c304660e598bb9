import { InvalidArgumentError } from "./errors.js";

/** Throws InvalidArgumentError unless `value` is an options object or left out (null is a wrong value, not "none"). */
export function assertOptions(value: unknown, what = "options"): asserts value is object | undefined {
  if (value !== undefined && (typeof value !== "object" || value === null || Array.isArray(value))) {
    throw new InvalidArgumentError(`${what} must be an object or left out, got ${describe(value)}`);
  }
}

/** Throws InvalidArgumentError unless `value` is an object (not null, not an array). */
export function assertObject(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} must be an object, got ${describe(value)}`);
  }
}

/** Throws InvalidArgumentError unless `value` is a function. */
export function assertFunction(value: unknown, what: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") throw new InvalidArgumentError(`${what} must be a function, got ${describe(value)}`);
}

/** Throws InvalidArgumentError unless `value` is an array. */
export function assertArray(value: unknown, what: string): asserts value is unknown[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${what} must be an array, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? `the string ${JSON.stringify(value.slice(0, 40))}` : typeof value;
}
