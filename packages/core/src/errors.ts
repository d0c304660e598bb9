/** The stable codes every StowageError carries. */
export type StowageErrorCode =
  | "ERR_INVALID_KEY"
  | "ERR_INVALID_ARGUMENT"
  | "ERR_SERIALIZATION"
  | "ERR_VALUE_TOO_LARGE"
  | "ERR_CONFIG"
  | "ERR_LOCK_TIMEOUT"
  | "ERR_LOCK_LOST"
  | "ERR_BACKEND_UNAVAILABLE"
  | "ERR_CORRUPT_DATA"
  | "ERR_CLOSED";

/** Marks a StowageError from any copy of core (an adapter may bundle its own), where `instanceof` would miss it. */
const BRAND = Symbol.for("stowage.error");

/** Every error the SDK throws; `code` is stable across releases, `message` is for people. */
export class StowageError extends Error {
  readonly code: StowageErrorCode;
  declare readonly [BRAND]: true;
  constructor(code: StowageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** `x instanceof StowageError` holds for one made by another copy of core; subclasses keep the usual check. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class the check runs on, which picks the check.
    if (this === StowageError) return isBranded(value);
    // biome-ignore lint/complexity/noThisInStatic: as above.
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}
Object.defineProperty(StowageError.prototype, BRAND, { value: true });

function isBranded(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

export class InvalidKeyError extends StowageError {
  constructor(message: string) {
    super("ERR_INVALID_KEY", message);
  }
}

/** A call option (ttl, limit, JSON path, …) outside what is allowed. */
export class InvalidArgumentError extends StowageError {
  constructor(message: string) {
    super("ERR_INVALID_ARGUMENT", message);
  }
}

export class SerializationError extends StowageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_SERIALIZATION", message, options);
  }
}

export class ValueTooLargeError extends StowageError {
  constructor(message: string) {
    super("ERR_VALUE_TOO_LARGE", message);
  }
}

export class ConfigError extends StowageError {
  /** The configuration field that was wrong (e.g. "url", "cache.maxSize"). */
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    // A message that already starts with its field ("x must be …") is not prefixed twice.
    super("ERR_CONFIG", message.startsWith(`${field} `) ? message : `${field}: ${message}`, options);
    this.field = field;
  }
}

export class LockTimeoutError extends StowageError {
  constructor(name: string, waitedMs: number) {
    super("ERR_LOCK_TIMEOUT", `lock "${name}" was not acquired within ${waitedMs} ms`);
  }
}

export class LockLostError extends StowageError {
  constructor(name: string, why: string) {
    super("ERR_LOCK_LOST", `lock "${name}" was lost: ${why}`);
  }
}

export class BackendUnavailableError extends StowageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_BACKEND_UNAVAILABLE", message, options);
  }
}

export class CorruptDataError extends StowageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_CORRUPT_DATA", message, options);
  }
}

export class ClosedError extends StowageError {
  constructor(what: string) {
    super("ERR_CLOSED", `${what} is closed`);
  }
}

/** True when `error` is a StowageError, optionally with the given code. */
export function isStowageError(error: unknown, code?: StowageErrorCode): error is StowageError {
  return isBranded(error) && (code === undefined || (error as StowageError).code === code);
}
