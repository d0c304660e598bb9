import { msSince } from "../measure.js";
import type { LockOps } from "../subjects/subject.js";

/** What one contender did. */
export interface CycleResult {
  acquisitions: number;
  /** How long each acquisition waited, in ms. */
  waitsMs: number[];
  elapsedMs: number;
  /** When each acquisition was granted and when its release began, on the shared clock (ms), in order. */
  heldFrom: number[];
  heldUntil: number[];
}

/**
 * Milliseconds on CLOCK_MONOTONIC, which every process of the machine (Python's time.monotonic too)
 * reads alike; timeOrigin + now() was tried and put holds of different processes up to ms out of order.
 */
export function sharedNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const hold = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Called as each caller starts waiting for the lock (the contention worker's --kill-one hook). */
export type OnWaiting = () => void;

/**
 * Acquires `lockName`, holds it `holdMs`, releases, until `durationMs` has passed, timing each
 * wait; `callers` loops do so at once in this process and their results are merged (a process's
 * share is what all its callers got). A waiter still queued at the end may wait past the deadline
 * by up to its wait limit.
 */
export async function cycleLock(
  lock: LockOps,
  lockName: string,
  ttlMs: number,
  durationMs: number,
  holdMs = 0,
  callers = 1,
  onWaiting?: OnWaiting,
): Promise<CycleResult> {
  const start = process.hrtime.bigint();
  const waitsMs: number[] = [];
  const heldFrom: number[] = [];
  const heldUntil: number[] = [];
  const caller = async () => {
    while (msSince(start) < durationMs) {
      const asked = process.hrtime.bigint();
      const acquiring = lock.acquire(lockName, ttlMs, Math.ceil(Math.max(1000, durationMs - msSince(start) + 5000)));
      onWaiting?.();
      const held = await acquiring;
      const from = sharedNow();
      waitsMs.push(msSince(asked));
      if (holdMs > 0) await hold(holdMs);
      // Pushed together, so each hold stays one pair whatever the other callers do.
      heldFrom.push(from);
      heldUntil.push(sharedNow());
      await held.release();
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  return { acquisitions: waitsMs.length, waitsMs, elapsedMs: msSince(start), heldFrom, heldUntil };
}
