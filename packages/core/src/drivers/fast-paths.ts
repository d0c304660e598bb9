/**
 * Optional methods a cache driver adds only for speed. None is needed for correctness: core
 * falls back to `get` / `set` when a driver lacks one, and each must answer exactly what the
 * fallback would. A new backend implements none of them until a paired benchmark shows a gain.
 */
export interface CacheFastPaths {
  /**
   * The live value's bytes without its expiry, or undefined, for backends where reading the
   * expiry costs more (Redis: a plain GET instead of a script). Core uses it where the expiry is not needed.
   */
  getValue?(key: string): Promise<Uint8Array | undefined>;
  /**
   * The live key's expiry (ms since epoch), null when it never expires, undefined when absent or
   * expired, for a backend where getValue plus this is cheaper than get() (Redis: GET and PTTL
   * instead of a Lua script that runs both). The hybrid's L2 reader uses it.
   */
  expiresAt?(key: string): Promise<number | null | undefined>;
  /**
   * Stores the UTF-8 bytes of `text` with `expiresAt`, exactly as `set` would store them, for
   * backends whose client takes text without the caller encoding it first (Redis). Core uses it
   * when the codec has `encodeText`.
   */
  setText?(key: string, text: string, expiresAt: number | null): Promise<void>;
}

/** The codec's side of `setText`: optional, and never needed for correctness. */
export interface CodecFastPaths {
  /**
   * For codecs whose bytes are UTF-8 text: the same encoding as text, so that `encode(v)` equals
   * the UTF-8 bytes of `encodeText(v)` (and throws where encode throws).
   */
  encodeText?(value: unknown): string;
}
