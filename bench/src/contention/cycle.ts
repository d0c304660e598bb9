import { msSince } from "../measure.js";
import type { LockOps } from "../subjects/subject.js";

/** What one contender did. */
export interface CycleResult {
  acquisitions: number;
  /** How long each acquisition waited, in ms. */
  waitsMs: number[];
  elapsedMs: number;
}

/**
 * Acquires and releases `lockName` until `durationMs` has passed, timing each wait. A waiter
 * still queued at the end may wait past the deadline by up to its wait limit, then stops.
 */
export async function cycleLock(
  lock: LockOps,
  lockName: string,
  ttlMs: number,
  durationMs: number,
): Promise<CycleResult> {
  const start = process.hrtime.bigint();
  const waitsMs: number[] = [];
  while (msSince(start) < durationMs) {
    const asked = process.hrtime.bigint();
    const held = await lock.acquire(lockName, ttlMs, Math.ceil(Math.max(1000, durationMs - msSince(start) + 5000)));
    waitsMs.push(msSince(asked));
    await held.release();
  }
  return { acquisitions: waitsMs.length, waitsMs, elapsedMs: msSince(start) };
}
