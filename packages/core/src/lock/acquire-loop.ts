import { monotonicNow, sleep } from "../clock.js";
import type { LeaseGrant, LockDriver } from "../drivers/lock-driver.js";
import { isStowageError, LockTimeoutError } from "../errors.js";
import { WAITER_PLACE_MS } from "./fair-waits.js";

/** How one wait for a lock is bounded and paced. */
export interface AcquireLoopOptions {
  ttl: number;
  waitMs: number;
  retryDelayMs: number;
  signal?: AbortSignal;
}

/** A random pause in [0.5, 1.5) × mean: waiters in different processes fall out of step. */
export function jitter(meanMs: number): number {
  return Math.max(1, Math.round(meanMs * (0.5 + Math.random())));
}

/**
 * Tries the backend until it grants the lease or `waitMs` runs out (LockTimeoutError) or
 * the signal aborts. Returns the grant and the monotonic time the granting request was sent.
 * A backend that is unreachable for a moment (clients reconnecting after a failover or restart)
 * is tried again while time is left; its last ERR_BACKEND_UNAVAILABLE is thrown when none is.
 */
export async function acquireLoop(
  driver: LockDriver,
  name: string,
  options: AcquireLoopOptions,
): Promise<{ grant: LeaseGrant; startedAt: number }> {
  try {
    return await waitForGrant(driver, name, options);
  } catch (error) {
    // A wait that ended without the lease gives up its place in the backend's queue, if it has one.
    await driver.stopWaiting?.(name).catch(() => {});
    throw error;
  }
}

async function waitForGrant(
  driver: LockDriver,
  name: string,
  options: AcquireLoopOptions,
): Promise<{ grant: LeaseGrant; startedAt: number }> {
  const begin = monotonicNow();
  const deadline = begin + options.waitMs;
  // Attempts made by a caller willing to wait: a backend may queue it in the same round trip.
  const wait = options.waitMs > 0 ? { placeMs: WAITER_PLACE_MS } : undefined;
  let attempt = true;
  for (;;) {
    options.signal?.throwIfAborted();
    const startedAt = monotonicNow();
    let grant: LeaseGrant | undefined;
    try {
      if (attempt) grant = await driver.tryAcquire(name, options.ttl, wait);
    } catch (error) {
      if (!isStowageError(error, "ERR_BACKEND_UNAVAILABLE") || deadline - monotonicNow() <= 0) throw error;
      await sleep(Math.min(deadline - monotonicNow(), jitter(options.retryDelayMs)), options.signal);
      continue;
    }
    if (grant) {
      if (options.signal?.aborted) {
        // The caller gave up while the request was in flight: hand the name straight back.
        await driver.release(name, grant.token);
        options.signal.throwIfAborted();
      }
      return { grant, startedAt };
    }
    const left = deadline - monotonicNow();
    if (left <= 0) throw new LockTimeoutError(name, Math.round(monotonicNow() - begin));
    const pause = Math.min(left, jitter(options.retryDelayMs));
    if (driver.waitForRelease) attempt = (await driver.waitForRelease(name, pause, options.signal)) !== false;
    else await sleep(pause, options.signal);
  }
}
