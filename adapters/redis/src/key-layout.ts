/**
 * Where every record of one store namespace lives. Keys start with `prefix:namespace:`, which
 * holds no braces, so a `{…}` hash tag opened right after it decides the Cluster slot:
 * a lock's lease and fencing counter share `{l:name}`, a thread's records share `{t:threadId}`.
 * Each pair of keys is textually identical up to the tag's end, so they hash alike even when
 * the name itself contains a brace.
 */
export class KeyLayout {
  readonly base: string;

  constructor(prefix: string, namespace: string) {
    this.base = `${prefix}:${namespace}:`;
  }

  /** A cache entry: one key per entry, spread over the slots. */
  cacheKey(key: string): string {
    return `${this.base}c:${key}`;
  }

  /** The user key a cache key holds. */
  cacheKeyName(redisKey: string): string {
    return redisKey.slice(this.base.length + 2);
  }

  /** SCAN pattern for cache keys starting with `prefix`. */
  cachePattern(prefix: string): string {
    return `${escapeGlob(`${this.base}c:${prefix}`)}*`;
  }

  /** The lease of a lock: its value is the holder's fencing token. */
  leaseKey(name: string): string {
    return `${this.base}{l:${name}}`;
  }

  /** The fencing counter of a lock, in the lease's slot; it never expires. */
  fenceKey(name: string): string {
    return `${this.leaseKey(name)}:fence`;
  }

  /** SCAN pattern for every fencing counter of this namespace. */
  fencePattern(): string {
    return `${escapeGlob(`${this.base}{l:`)}*}:fence`;
  }

  /** The lock name a fencing counter key holds (sliced from both ends, so braces in the name are fine). */
  fenceName(redisKey: string): string {
    return redisKey.slice(this.base.length + 3, -"}:fence".length);
  }

  /** Every key of a thread starts with this, so one Lua script can touch them all. */
  threadBase(threadId: string): string {
    return `${this.base}{t:${threadId}}:`;
  }

  /** Index of every checkpoint across all threads: members `id \0 threadId \0 ns`. */
  checkpointIndexKey(): string {
    return `${this.base}checkpoints`;
  }

  /** The set of thread ids that hold checkpoints (for size()). */
  threadsKey(): string {
    return `${this.base}threads`;
  }
}

/** Escapes glob metacharacters so SCAN MATCH treats the text literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
