import { ValueTooLargeError } from "./errors.js";

/** The default limit on one encoded value (cache entry, checkpoint payload, blob or pending write): 64 MiB. */
export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024 * 1024;

/** Throws ValueTooLargeError when `bytes` of encoded value are more than `maxValueBytes`; nothing is written. */
export function assertValueFits(bytes: number, maxValueBytes: number, what = "encoded value"): void {
  if (bytes > maxValueBytes) {
    throw new ValueTooLargeError(
      `${what} is ${bytes} bytes; this store accepts at most ${maxValueBytes} (maxValueBytes)`,
    );
  }
}

/**
 * What one entry weighs against a cache's size limit (maxSize): its value, twice its key's UTF-8
 * bytes and 64 bytes, at least what any backend's own bookkeeping counts for it, so an entry
 * that passes here never makes a backend evict itself.
 */
export function entryWeight(key: string, valueBytes: number): number {
  return valueBytes + 2 * Buffer.byteLength(key, "utf8") + 64;
}

/** Throws ValueTooLargeError when the entry alone would not fit a cache of `maxSizeBytes`; nothing is written or evicted. */
export function assertEntryFitsLimit(key: string, valueBytes: number, maxSizeBytes: number | undefined): void {
  if (maxSizeBytes !== undefined) assertWeightFits(key, entryWeight(key, valueBytes), maxSizeBytes);
}

/** A backend's own check, with its own count of what the entry weighs: refused when it alone exceeds the limit. */
export function assertWeightFits(key: string, weight: number, maxSizeBytes: number): void {
  if (weight > maxSizeBytes) {
    throw new ValueTooLargeError(
      `the entry for "${key.length > 64 ? `${key.slice(0, 64)}…` : key}" counts ${weight} bytes (value, key and bookkeeping); the cache's size limit (maxSize) is ${maxSizeBytes}`,
    );
  }
}
