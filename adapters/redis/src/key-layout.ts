/**
 * Where every record of one store namespace lives. Keys start with `prefix:namespace:`, which
 * holds no braces, so a `{…}` hash tag opened right after it decides the Cluster slot:
 * a lock's lease and fencing counter share `{l:name}`, a thread's records share `{t:threadId}`.
 * Each pair of keys is textually identical up to the tag's end, so they hash alike even when
 * the name itself contains a brace.
 *
 * No two stores share a key: a namespace holds no ":", and a ":" of the prefix is doubled, so
 * the first single ":" ends the prefix (`a:b` + `c` is `a::b:c:`, never `a` + `b`'s `a:b:c:`).
 */
export class KeyLayout {
  readonly base: string;
  /** The base before prefixes were encoded; differs from `base` only for a prefix holding ":". */
  readonly legacyBase: string;

  #upgrade: (() => Promise<void>) | undefined;
  #upgrading: Promise<void> | undefined;

  constructor(prefix: string, namespace: string) {
    this.base = `${prefix.replaceAll(":", "::")}:${namespace}:`;
    this.legacyBase = `${prefix}:${namespace}:`;
  }

  /** Gives `move` (the move of keys written under `legacyBase`, legacy-prefix.ts) to run before the first command. */
  upgradeWith(move: () => Promise<void>): void {
    this.#upgrade = move;
  }

  /** The upgrade every command waits for, started by the first one; undefined once done. A failed one is tried again. */
  pendingUpgrade(): Promise<void> | undefined {
    if (!this.#upgrade) return undefined;
    this.#upgrading ??= this.#upgrade().then(
      () => {
        this.#upgrade = undefined;
        this.#upgrading = undefined;
      },
      (error: unknown) => {
        this.#upgrading = undefined;
        throw error;
      },
    );
    return this.#upgrading;
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

  /** The waiter places of a lock (ZSET, score = arrival), in the lease's slot; it lives only while someone waits. */
  queueKey(name: string): string {
    return `${this.leaseKey(name)}:q`;
  }

  /** The deadlines of those places (ZSET, score = server ms), beside them. */
  queueDeadlineKey(name: string): string {
    return `${this.leaseKey(name)}:qd`;
  }

  /** SCAN pattern for every fencing counter of this namespace. */
  fencePattern(): string {
    return `${escapeGlob(`${this.base}{l:`)}*}:fence`;
  }

  /** The lock name a fencing counter key holds (sliced from both ends, so braces in the name are fine). */
  fenceName(redisKey: string): string {
    return redisKey.slice(this.base.length + 3, -"}:fence".length);
  }

  /**
   * Every key of a thread starts with this, so one Lua script can touch them all. The thread id is
   * escaped (NUL as NUL NUL, "}" as NUL "]") so the tag ends where the id does: one id, one slot,
   * and an id holding "}:cp:" cannot reach into another thread's keys. Ids without NUL or "}" keep
   * the layout they always had.
   */
  threadBase(threadId: string): string {
    return `${this.base}{t:${escapeThreadId(threadId)}}:`;
  }

  /** A checkpoint's record (see checkpoint-scripts.ts): a NUL of the ns is written NUL 0xFF, so the first other NUL ends it. */
  checkpointKey(threadId: string, ns: string, id: string): Buffer {
    const escapedNs = Buffer.from(ns).toString("latin1").replaceAll("\0", "\0\xff");
    return Buffer.concat([
      Buffer.from(`${this.threadBase(threadId)}cp:`),
      Buffer.from(`${escapedNs}\0`, "latin1"),
      Buffer.from(id),
    ]);
  }

  /** Index of every checkpoint across all threads: members `id \0 JSON [threadId, ns]` (see checkpoint.ts). */
  checkpointIndexKey(): string {
    return `${this.base}checkpoints`;
  }

  /** The set of thread ids that hold checkpoints (for size()). */
  threadsKey(): string {
    return `${this.base}threads`;
  }
}

/** NUL becomes NUL NUL and "}" becomes NUL "]": no "}" left, and still one id per text. */
export function escapeThreadId(threadId: string): string {
  return /[\0}]/.test(threadId) ? threadId.replace(/[\0}]/g, (c) => (c === "\0" ? "\0\0" : "\0]")) : threadId;
}

/** Escapes glob metacharacters so SCAN MATCH treats the text literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
