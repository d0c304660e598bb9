/** What a successful acquisition or extension returns. */
export interface LeaseGrant {
  /** The fencing token: strictly greater than every token this backend ever gave for the name. */
  token: bigint;
  /** Milliseconds to take off the ttl for clock drift between machines (redlock); 0 on one machine. */
  driftMs?: number;
}

/**
 * The primitives a backend implements for one namespace of locks. Names are already
 * validated. Each method is atomic across processes and machines sharing the backend;
 * expiry is judged on the backend's clock (wall clock for local stores, the server for Redis).
 */
export interface LockDriver {
  /**
   * When no unexpired lease holds `name` and no earlier waiter has a live place in the name's
   * queue (a backend with a queue): increments the name's fencing counter (which outlives
   * every lease, crash and restart), stores a lease for `ttlMs` under the new token, removes
   * this driver's own place, and returns it. Returns undefined when the name is held or an
   * earlier waiter is first in line. `wait` is given on attempts made while waiting: a
   * backend that joins its queue in the same round trip (Redis) takes or refreshes this
   * driver's place for `wait.placeMs` when refused.
   */
  tryAcquire(name: string, ttlMs: number, wait?: { placeMs: number }): Promise<LeaseGrant | undefined>;
  /** Resets the lease to expire `ttlMs` from now when `token` holds it unexpired; false otherwise. */
  extend(name: string, token: bigint, ttlMs: number): Promise<boolean>;
  /** Removes the lease when `token` holds it; true only when it was held unexpired. Never touches another token's lease. */
  release(name: string, token: bigint): Promise<boolean>;
  /** The current unexpired lease of `name`, or undefined (for health, tests and diagnostics). */
  inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined>;
  /**
   * Optional: resolves when `name` may have been released (a wake-up hint for waiters), or
   * after `timeoutMs`. Resolving to false says the wait timed out and a look at the backend
   * found the name still not this driver's to take, so the next attempt is skipped. Backends
   * without notifications leave it out and waiters poll.
   */
  waitForRelease?(name: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean | undefined>;
  /** Optional, for migrations: every fencing counter of this namespace, with the last token it gave. */
  fencingCounters?(): AsyncIterable<{ name: string; token: bigint }>;
  /**
   * Optional, for migrations: raises the name's fencing counter so that every later token is
   * greater than `atLeast` (never lowers it, leaves a live lease as it is) and returns the
   * counter; undefined when it cannot do so now (the name is held where the counter is the lease).
   */
  raiseFence?(name: string, atLeast: bigint): Promise<bigint | undefined>;
  /**
   * Optional: the caller stopped waiting for `name` without the lease (timed out, aborted or
   * failed). A backend that keeps waiters in a queue other processes respect gives up this
   * driver's place, so a wait that ended never holds back a taker of a free name.
   */
  stopWaiting?(name: string): Promise<void>;
}
