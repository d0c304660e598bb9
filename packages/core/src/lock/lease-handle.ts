import { monotonicNow, wallNow } from "../clock.js";
import type { Lease } from "../contracts.js";
import type { LockDriver } from "../drivers/lock-driver.js";
import { assertTtl } from "../ttl.js";

/** Told how a lease ended, once: released while valid, or lost (expired or taken when extended or released). */
export interface LeaseObserver {
  released(lease: LeaseHandle): void;
  lost(lease: LeaseHandle): void;
}

/** A held lease; validity is judged on the monotonic clock from the moment the request was sent. */
export class LeaseHandle implements Lease {
  readonly name: string;
  readonly token: bigint;
  readonly #driver: LockDriver;
  readonly #ttl: number;
  #deadline: number;
  #expiresAt: number;
  #released = false;
  #lost = false;
  readonly #observer: LeaseObserver | undefined;

  /** `startedAt` is monotonicNow() taken before the acquire request, so time in flight counts against the lease. */
  constructor(
    driver: LockDriver,
    name: string,
    token: bigint,
    ttl: number,
    startedAt: number,
    driftMs: number,
    observer?: LeaseObserver,
  ) {
    this.#driver = driver;
    this.#observer = observer;
    this.name = name;
    this.token = token;
    this.#ttl = ttl;
    this.#deadline = startedAt + ttl - driftMs;
    this.#expiresAt = wallNow() + (this.#deadline - monotonicNow());
  }

  get expiresAt(): number {
    return this.#expiresAt;
  }

  get held(): boolean {
    return !this.#released && monotonicNow() < this.#deadline;
  }

  /** Milliseconds of validity left on the monotonic clock (0 when expired or released). */
  get remainingMs(): number {
    return this.#released ? 0 : Math.max(0, this.#deadline - monotonicNow());
  }

  async extend(ttl: number = this.#ttl): Promise<boolean> {
    assertTtl(ttl);
    if (!this.held) {
      if (!this.#released) this.#markLost();
      return false;
    }
    const startedAt = monotonicNow();
    const extended = await this.#driver.extend(this.name, this.token, ttl);
    if (!extended) {
      this.#markLost();
      return false;
    }
    this.#deadline = startedAt + ttl;
    this.#expiresAt = wallNow() + (this.#deadline - monotonicNow());
    return true;
  }

  async release(): Promise<boolean> {
    if (this.#released) return false;
    const stillValid = monotonicNow() < this.#deadline;
    this.#released = true;
    // Released even when our clock says expired: the token check keeps a newer holder safe.
    const removed = await this.#driver.release(this.name, this.token);
    if (removed && stillValid) this.#observer?.released(this);
    else this.#markLost();
    return removed && stillValid;
  }

  #markLost(): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#observer?.lost(this);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
