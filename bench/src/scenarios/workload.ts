/** The seed report's payloads; bench/python/seed_diskcache.py builds the same ones. */

export const DAY_MS = 24 * 60 * 60 * 1000;

/** A 100-byte string, the seed's cache value. */
export const SEED_TEXT = "v".repeat(100);

/** A 20-field object of about 600 bytes as JSON. */
export function jsonDocument(): Record<string, string> {
  const document: Record<string, string> = {};
  for (let i = 0; i < 20; i++) {
    const n = String(i).padStart(2, "0");
    document[`field_${n}`] = `value-${n}-${"x".repeat(8)}`;
  }
  return document;
}

/** A checkpoint payload of about 2 KB as JSON. */
export function checkpointPayload(): { messages: string[]; step: number } {
  return { messages: Array.from({ length: 18 }, () => "m".repeat(100)), step: 1 };
}

/** A string value of exactly `bytes` bytes (ASCII), for the sweep. */
export function valueOfSize(bytes: number): string {
  return "s".repeat(bytes);
}
