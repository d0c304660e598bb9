import { type LeaseGrant, type LockDriver, ReleaseSignal, wallNow } from "@stowage/core";

interface MemoryLease {
  token: bigint;
  expiresAt: number;
}

/** One namespace of in-process locks; waiters are woken on release instead of polling. */
export class MemoryLockDriver implements LockDriver {
  readonly #leases = new Map<string, MemoryLease>();
  /** Fencing counters outlive leases, so a token never repeats for a name. */
  readonly #counters = new Map<string, bigint>();
  readonly #released = new ReleaseSignal();
  #live(name: string): MemoryLease | undefined {
    const lease = this.#leases.get(name);
    return lease && lease.expiresAt > wallNow() ? lease : undefined;
  }

  async tryAcquire(name: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    if (this.#live(name)) return undefined;
    const token = (this.#counters.get(name) ?? 0n) + 1n;
    this.#counters.set(name, token);
    this.#leases.set(name, { token, expiresAt: wallNow() + ttlMs });
    return { token };
  }

  async extend(name: string, token: bigint, ttlMs: number): Promise<boolean> {
    const lease = this.#live(name);
    if (!lease || lease.token !== token) return false;
    lease.expiresAt = wallNow() + ttlMs;
    return true;
  }

  async release(name: string, token: bigint): Promise<boolean> {
    const lease = this.#leases.get(name);
    if (!lease || lease.token !== token) return false;
    const wasLive = lease.expiresAt > wallNow();
    this.#leases.delete(name);
    this.#released.notify(name);
    return wasLive;
  }

  async inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined> {
    const lease = this.#live(name);
    return lease && { token: lease.token, expiresAt: lease.expiresAt };
  }

  async *fencingCounters(): AsyncIterable<{ name: string; token: bigint }> {
    for (const [name, token] of [...this.#counters]) yield { name, token };
  }

  async raiseFence(name: string, atLeast: bigint): Promise<bigint> {
    const counter = this.#counters.get(name) ?? 0n;
    if (counter >= atLeast) return counter;
    this.#counters.set(name, atLeast);
    return atLeast;
  }

  /** Woken or not, the next attempt is made: a wait here has no cheaper look than the attempt. */
  async waitForRelease(name: string, timeoutMs: number, signal?: AbortSignal): Promise<undefined> {
    await this.#released.wait(name, timeoutMs, signal);
    return undefined;
  }
}
