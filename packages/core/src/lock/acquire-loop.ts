import { monotonicNow, sleep } from "../clock.js";
import type { LeaseGrant, LockDriver } from "../drivers/lock-driver.js";
import { isStowageError, LockTimeoutError } from "../errors.js";

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
  // A queue place outlives the longest pause between two attempts (1.5 × retryDelayMs) with room to
  // spare; a call with no time to wait takes none.
  const wait = options.waitMs > 0 ? { joinMs: Math.max(3 * options.retryDelayMs, 1000) + 1000 } : undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const startedAt = monotonicNow();
    let grant: LeaseGrant | undefined;
    try {
      grant = await driver.tryAcquire(name, options.ttl, wait);
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
    if (driver.waitForRelease) await driver.waitForRelease(name, pause, options.signal);
    else await sleep(pause, options.signal);
  }
}
