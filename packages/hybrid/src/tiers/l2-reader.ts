import type { CacheDriver, StoredEntry } from "@stowage/core";

/** How far the running score of L2 hits and misses may go either way (so it turns within 16 reads). */
const SCORE_BOUND = 16;

/**
 * Reads an entry (value and expiry, for the L1 fill) from L2 after an L1 miss. Where the driver
 * has a cheaper value-only read (getValue; on Redis a plain GET against get()'s script, about
 * half the client CPU and a quarter of the server's), an L1 miss that L2 does not hold either,
 * such as getOrSet on a new key, needs only that. When the key is there, the expiry costs a
 * second call. So the reader keeps a running score of L2 hits against misses: while misses
 * dominate it reads the value alone first; while hits do, it reads value and expiry in one go
 * (get(), or getValue and expiresAt issued together, which share one round trip). Both ways
 * return what L2 held at one point during the call; an entry that vanished between the two
 * calls reads as absent.
 */
export class L2Reader {
  readonly #l2: CacheDriver;
  readonly #getValue: ((key: string) => Promise<Uint8Array | undefined>) | undefined;
  readonly #expiresAt: ((key: string) => Promise<number | null | undefined>) | undefined;
  /** Runs one L2 call (through the hybrid's breaker). */
  readonly #run: <T>(call: () => Promise<T>) => Promise<T>;
  /** Above 0: recent L1 misses were mostly L2 hits; below: mostly L2 misses. */
  #score = 0;

  constructor(l2: CacheDriver, run: <T>(call: () => Promise<T>) => Promise<T>) {
    this.#l2 = l2;
    this.#run = run;
    if (typeof l2.getValue === "function") {
      const getValue = l2.getValue.bind(l2);
      this.#getValue = getValue;
      if (typeof l2.expiresAt === "function") this.#expiresAt = l2.expiresAt.bind(l2);
    }
  }

  read(key: string): Promise<StoredEntry | undefined> {
    const getValue = this.#getValue;
    if (getValue !== undefined && this.#score < 0) {
      return this.#run(() => getValue(key)).then((value) => {
        this.#note(value !== undefined);
        if (value === undefined) return undefined;
        const expiry = this.#expiresAt;
        return expiry
          ? this.#run(() => expiry(key)).then((expiresAt) =>
              expiresAt === undefined ? undefined : { value, expiresAt },
            )
          : // value and expiry again, together: the value may have changed since
            this.#run(() => this.#l2.get(key));
      });
    }
    const expiresAt = this.#expiresAt;
    if (getValue !== undefined && expiresAt !== undefined) {
      // Issued in the same turn, so a pipelining client sends both in one write.
      return this.#run(() => Promise.all([getValue(key), expiresAt(key)])).then(([found, expiresAt]) => {
        this.#note(found !== undefined);
        return found === undefined || expiresAt === undefined ? undefined : { value: found, expiresAt };
      });
    }
    return this.#run(() => this.#l2.get(key)).then((entry) => {
      this.#note(entry !== undefined);
      return entry;
    });
  }

  #note(hit: boolean): void {
    if (hit) {
      if (this.#score < SCORE_BOUND) this.#score++;
    } else if (this.#score > -SCORE_BOUND) this.#score--;
  }
}
