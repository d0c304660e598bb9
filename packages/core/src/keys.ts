import { InvalidArgumentError, InvalidKeyError } from "./errors.js";

/** The longest key, in bytes of UTF-8, that every backend stores. */
export const MAX_KEY_BYTES = 1024;

/** Throws InvalidKeyError unless `key` is a non-empty string of at most 1024 UTF-8 bytes with no lone surrogate. */
export function assertKey(key: unknown, what = "key"): asserts key is string {
  if (typeof key !== "string") throw new InvalidKeyError(`${what} must be a string, got ${typeof key}`);
  if (key.length === 0) throw new InvalidKeyError(`${what} must not be empty`);
  // A UTF-16 unit is at most 3 bytes of UTF-8, so short keys skip the byte count.
  if (key.length * 3 > MAX_KEY_BYTES) {
    const bytes = Buffer.byteLength(key, "utf8");
    if (bytes > MAX_KEY_BYTES) {
      throw new InvalidKeyError(`${what} is ${bytes} bytes of UTF-8; at most ${MAX_KEY_BYTES} are allowed`);
    }
  }
  // A lone surrogate cannot round-trip through UTF-8, so no backend could give the key back.
  if (!key.isWellFormed()) throw new InvalidKeyError(`${what} contains a lone UTF-16 surrogate`);
}

/**
 * The one rule for every identifier of every contract (thread ids, checkpoint ns and ids, parent
 * ids, channel names, string versions, task ids): a key, except that `allowEmpty` lets "" through
 * (the default checkpoint ns).
 */
export function assertIdentifier(value: unknown, what: string, allowEmpty = false): asserts value is string {
  if (allowEmpty && value === "") return;
  assertKey(value, what);
}

/** Throws InvalidKeyError unless every element is a valid key. */
export function assertKeys(keys: unknown, what = "keys"): asserts keys is string[] {
  if (!Array.isArray(keys)) throw new InvalidKeyError(`${what} must be an array of strings`);
  for (const key of keys) assertKey(key, `${what}[]`);
}

/** A prefix for keys(): empty is allowed (all keys); otherwise the key rules apply. */
export function assertPrefix(prefix: unknown): asserts prefix is string {
  if (prefix === "") return;
  assertKey(prefix, "prefix");
}

const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Store namespaces become directory names and key prefixes, so they are kept to a safe alphabet. */
export function assertNamespace(namespace: unknown, field = "namespace"): asserts namespace is string {
  if (typeof namespace !== "string" || !NAMESPACE_PATTERN.test(namespace) || namespace === "." || namespace === "..") {
    throw new InvalidArgumentError(
      `${field} must be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-" (and not "." or ".."), got ${JSON.stringify(namespace)}`,
    );
  }
}
