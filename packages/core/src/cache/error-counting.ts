import type { CacheDriver } from "../drivers/cache-driver.js";
import { isStowageError, type StowageErrorCode } from "../errors.js";

/** Refused input is the caller's mistake, not the backend's: stats().errors leaves it out. */
const INPUT_ERRORS: readonly StowageErrorCode[] = [
  "ERR_INVALID_KEY",
  "ERR_INVALID_ARGUMENT",
  "ERR_SERIALIZATION",
  "ERR_VALUE_TOO_LARGE",
  "ERR_CLOSED",
];

const isBackendError = (error: unknown) => !isStowageError(error) || !INPUT_ERRORS.includes(error.code);

const METHODS = [
  "get",
  "getValue",
  "getMany",
  "set",
  "expiresAt",
  "setText",
  "setMany",
  "add",
  "delete",
  "deleteMany",
  "incr",
  "update",
  "clear",
  "gc",
  "size",
] as const;

/**
 * The driver with every failure the backend caused (down, corrupt, unexpected) reported to
 * `counted`. Every other member (getters, instanceof) is the driver's own. The count hangs off a
 * side branch of each promise: the caller's path gets no extra turn.
 */
export function countingErrors<T extends CacheDriver>(driver: T, counted: () => void): T {
  const onError = (error: unknown) => {
    if (isBackendError(error)) counted();
  };
  const wrapped = new Map<PropertyKey, unknown>();
  for (const name of METHODS) {
    const method = (driver as unknown as Record<string, unknown>)[name];
    if (typeof method !== "function") continue;
    wrapped.set(name, (...args: unknown[]) => {
      let result: unknown;
      try {
        result = method.apply(driver, args);
      } catch (error) {
        onError(error);
        throw error;
      }
      if (result instanceof Promise) result.catch(onError);
      return result;
    });
  }
  wrapped.set("keys", (prefix: string) => countedIterable(driver.keys(prefix), onError));
  return new Proxy(driver, {
    get(target, property) {
      if (wrapped.has(property)) return wrapped.get(property);
      const value = Reflect.get(target, property, target);
      // Members with private state need the driver itself as `this`.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function* countedIterable(keys: AsyncIterable<string>, onError: (error: unknown) => void): AsyncIterable<string> {
  try {
    yield* keys;
  } catch (error) {
    onError(error);
    throw error;
  }
}
