import { createHash } from "node:crypto";
import { MAX_KEY_BYTES } from "@stowage/core";

/** In every digest key and in no key stored as it is, so the two kinds never meet. */
const MARKER = "\0keyv-sha256:";

/** What a key stored under its digest holds: the original key (UTF-16 as base64, lone surrogates kept) and the value. */
export interface DigestEnvelope {
  readonly keyvKey: string;
  readonly value: unknown;
}

/**
 * The cache key a Keyv key lives under: itself when stowage accepts it (at most 1024 bytes of
 * UTF-8, no lone surrogate, no MARKER), otherwise `namespace:` + MARKER + a SHA-256 of its UTF-16
 * units, so Keyv, like @keyv/sqlite, accepts any key, and clear() and iterator() still find it by prefix.
 */
export function cacheKeyOf(keyvKey: string, namespace: string | undefined): string {
  if (storedAsIs(keyvKey)) return keyvKey;
  const prefix = namespace && keyvKey.startsWith(`${namespace}:`) ? `${namespace}:` : "";
  const digest = createHash("sha256").update(Buffer.from(keyvKey, "utf16le")).digest("hex");
  const key = `${prefix}${MARKER}${digest}`;
  return Buffer.byteLength(key) <= MAX_KEY_BYTES && key.isWellFormed() ? key : `${MARKER}${digest}`;
}

export function storedAsIs(keyvKey: string): boolean {
  return (
    keyvKey.length > 0 &&
    (keyvKey.length * 3 <= MAX_KEY_BYTES || Buffer.byteLength(keyvKey) <= MAX_KEY_BYTES) &&
    keyvKey.isWellFormed() &&
    !keyvKey.includes(MARKER)
  );
}

export function isDigestKey(cacheKey: string): boolean {
  return cacheKey.includes(MARKER);
}

export function envelope(keyvKey: string, value: unknown): { k: string; v: unknown } {
  return { k: Buffer.from(keyvKey, "utf16le").toString("base64"), v: value };
}

/** The original key and value of an envelope, or undefined when `stored` is not one. */
export function openEnvelope(stored: unknown): DigestEnvelope | undefined {
  if (typeof stored !== "object" || stored === null || typeof (stored as { k?: unknown }).k !== "string")
    return undefined;
  const { k, v } = stored as { k: string; v: unknown };
  return { keyvKey: Buffer.from(k, "base64").toString("utf16le"), value: v };
}
