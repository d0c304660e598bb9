import { wallNow } from "@stowage/core";

let lastStamp = 0;

/**
 * A recency stamp: wall-clock microseconds, strictly increasing within this process, so two
 * touches in one millisecond still order; across processes stamps order to the millisecond.
 */
export function recencyStamp(): number {
  const now = wallNow() * 1000;
  lastStamp = now > lastStamp ? now : lastStamp + 1;
  return lastStamp;
}

/** How long a read's recency may wait in memory before it is written, and how many may wait. */
const FLUSH_AFTER_MS = 1_000;
const MAX_PENDING = 4_096;

/**
 * Reads of one namespace, remembered in memory and written as a batch of access times.
 *
 * Why: writing the access time on every get would turn each read into a write transaction (the
 * file's single writer lock, a WAL append, ~10× a read's cost). Instead a get costs one Map.set;
 * the batch is written before this process's next evicting write (so eviction here always sees
 * this process's reads), after FLUSH_AFTER_MS, at MAX_PENDING reads, and at close. Eviction in
 * another process sees this process's reads up to FLUSH_AFTER_MS late: LRU across processes is
 * exact to about a second.
 */
export class PendingTouches {
  readonly #stamps = new Map<string, number>();
  readonly #write: (touches: ReadonlyMap<string, number>) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(write: (touches: ReadonlyMap<string, number>) => void) {
    this.#write = write;
  }

  /** Remembers that `key` was read now. */
  touch(key: string): void {
    this.#stamps.set(key, recencyStamp());
    if (this.#stamps.size >= MAX_PENDING) this.flushQuietly();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flushQuietly(), FLUSH_AFTER_MS);
      this.#timer.unref();
    }
  }

  /** Forgets pending reads (after clear()). */
  drop(keys?: readonly string[]): void {
    if (keys === undefined) this.#stamps.clear();
    else for (const key of keys) this.#stamps.delete(key);
  }

  /** Writes the pending access times; call inside the write transaction that is about to evict. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#stamps.size === 0) return;
    const batch = new Map(this.#stamps);
    this.#stamps.clear();
    this.#write(batch);
  }

  /** flush() from a timer or at close: recency is advisory, so a busy or closed file just drops it. */
  flushQuietly(): void {
    try {
      this.flush();
    } catch {}
  }
}
