import { wallNow } from "./clock.js";
import { InvalidArgumentError } from "./errors.js";

/** The longest TTL accepted: about 10 years, so that expiry times stay exact in every backend. */
export const MAX_TTL_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** Throws unless `ttl` is a positive integer number of milliseconds no larger than MAX_TTL_MS. */
export function assertTtl(ttl: unknown, field = "ttl"): asserts ttl is number {
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_MS) {
    throw new InvalidArgumentError(
      `${field} must be a positive integer number of milliseconds up to ${MAX_TTL_MS}, got ${String(ttl)}`,
    );
  }
}

/** The wall-clock expiry for a TTL (the per-call one, else the store default), or null when neither is set. */
export function expiresAtFor(ttl: number | undefined, defaultTtl: number | undefined, now = wallNow()): number | null {
  if (ttl !== undefined) {
    assertTtl(ttl);
    return now + ttl;
  }
  return defaultTtl === undefined ? null : now + defaultTtl;
}

/** True when an entry with this expiry must no longer be returned. */
export function isExpired(expiresAt: number | null, now = wallNow()): boolean {
  return expiresAt !== null && expiresAt <= now;
}

/** Remaining milliseconds until `expiresAt` (Infinity when it never expires, 0 when past). */
export function remainingMs(expiresAt: number | null, now = wallNow()): number {
  if (expiresAt === null) return Number.POSITIVE_INFINITY;
  return Math.max(0, expiresAt - now);
}
