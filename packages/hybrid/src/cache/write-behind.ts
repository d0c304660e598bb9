import type { StoredEntry } from "@stowage/core";
import { BackendUnavailableError, isExpired, isStowageError, monotonicNow } from "@stowage/core";

/** A write L2 has not taken yet: the entry to set, or null to delete. */
export type QueuedWrite = StoredEntry | null;

/**
 * What this instance believed L2 held for the key when the first write of it was queued (the
 * value's bytes, or undefined for absent): a replay lands only while L2 still holds it (or
 * nothing), so a newer write by another instance is never overwritten by an older queued one.
 */
export type ReplayBase = Uint8Array | undefined;

/**
 * Writes held while L2 is unreachable, latest per key, replayed in the order keys were first
 * queued once L2 answers. Bounded: past `maxEntries` a write fails instead of growing memory
 * without limit.
 */
export class WriteBehindQueue {
  readonly maxEntries: number;
  readonly #writes = new Map<string, QueuedWrite>();
  readonly #bases = new Map<string, ReplayBase>();
  readonly #retryMs: number;
  /** Sends one queued write to L2 (and tells the other instances); resolves what L2 holds for the key afterwards. */
  readonly #replay: (key: string, write: QueuedWrite, base: ReplayBase) => Promise<ReplayBase>;
  #timer: NodeJS.Timeout | undefined;
  #due = 0;

  constructor(
    maxEntries: number,
    retryMs: number,
    replay: (key: string, write: QueuedWrite, base: ReplayBase) => Promise<ReplayBase>,
  ) {
    this.maxEntries = maxEntries;
    this.#retryMs = retryMs;
    this.#replay = replay;
  }

  get size(): number {
    return this.#writes.size;
  }

  /** Throws ERR_BACKEND_UNAVAILABLE unless writes of all `keys` fit. */
  assertRoom(keys: readonly string[], cause: unknown): void {
    const added = new Set(keys.filter((key) => !this.#writes.has(key))).size;
    if (this.#writes.size + added > this.maxEntries) {
      throw new BackendUnavailableError(
        `hybrid cache: L2 is unavailable and the write-behind queue is full (${this.maxEntries} keys)`,
        { cause },
      );
    }
  }

  /** Queues the write (call assertRoom first); `base` counts only for the first write of the key queued. */
  put(key: string, write: QueuedWrite, base: ReplayBase): void {
    if (!this.#writes.has(key)) this.#bases.set(key, base);
    this.#writes.set(key, write);
  }

  /** True when a write of `key` is queued; `read` gives what a reader should see. */
  has(key: string): boolean {
    return this.#writes.has(key);
  }

  /** The queued entry as a read sees it: undefined when deleted or expired. */
  read(key: string): StoredEntry | undefined {
    const write = this.#writes.get(key);
    if (!write || isExpired(write.expiresAt)) return undefined;
    return write;
  }

  /** The oldest queued write. */
  first(): [string, QueuedWrite] | undefined {
    const next = this.#writes.entries().next();
    return next.done ? undefined : next.value;
  }

  /** Forgets the write of `key` if it is still `write` (a newer one stays queued). */
  settle(key: string, write?: QueuedWrite): void {
    if (write === undefined || this.#writes.get(key) === write) {
      this.#writes.delete(key);
      this.#bases.delete(key);
    }
  }

  clear(): void {
    this.#writes.clear();
    this.#bases.clear();
  }

  /** Replays the queue after `delayMs` (the retry interval by default), unless a replay is due sooner. */
  schedule(delayMs = this.#retryMs): void {
    if (this.#writes.size === 0) return;
    // When the timer fires: a duration, so on the monotonic clock (a wall-clock step cannot reorder retries).
    const due = monotonicNow() + delayMs;
    if (this.#timer) {
      // L2 answering now brings a far retry forward.
      if (this.#due <= due) return;
      clearTimeout(this.#timer);
    }
    this.#due = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#flush();
    }, delayMs);
    this.#timer.unref();
  }

  /** Replays in order; stops at the first unavailability and retries later. */
  async #flush(): Promise<void> {
    for (let next = this.first(); next; next = this.first()) {
      const [key, write] = next;
      try {
        const held = await this.#replay(key, write, this.#bases.get(key));
        // A newer write of the key queued meanwhile replays against what L2 holds now, not the old base.
        if (this.#writes.get(key) !== write) this.#bases.set(key, held);
      } catch (error) {
        if (isStowageError(error, "ERR_BACKEND_UNAVAILABLE")) {
          this.schedule();
          return;
        }
        // L2 refused this write for good (not for being down): retrying would block the rest.
      }
      this.settle(key, write);
    }
  }

  /** Stops replaying (what is still queued is lost with the process). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
