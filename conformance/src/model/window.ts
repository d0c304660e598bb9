/**
 * When a call ran, on both clocks: `start` is read before the call and `end` after it settles,
 * so whatever instant the backend acted at lies in [start, end] (wall ms, as stored expiries
 * use), and [monoStart, monoEnd] on the monotonic clock that times leases locally.
 */
export interface Window {
  start: number;
  end: number;
  monoStart: number;
  monoEnd: number;
}

/** Runs `call` and returns what it settled with, and when it ran. */
export async function timed<T>(call: () => Promise<T>): Promise<{ settled: Settled<T>; window: Window }> {
  const start = Date.now();
  const monoStart = performance.now();
  let settled: Settled<T>;
  try {
    settled = { ok: true, value: await call() };
  } catch (error) {
    settled = { ok: false, error };
  }
  return { settled, window: { start, end: Date.now(), monoStart, monoEnd: performance.now() } };
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Where an expiry set by a call in `window` with `ttl` can lie on the backend's clock. `lo`: the
 * ttl counted from the call's start. `hi`: from its end, plus the call's length again (a backend
 * that turns an absolute expiry into a relative one, as Redis PX does, adds the time in flight)
 * and 2 ms for millisecond rounding and Redis keeping a key alive through its expiry millisecond.
 */
export interface Expiry {
  lo: number;
  hi: number;
  /**
   * The earliest a copy of the expiry may say (a hybrid's L1 filled from a remote remaining
   * time): each call that touched the entry may have copied it early by its own length, never late.
   */
  readLo: number;
  /** The ttl that set it: a remaining time is never above it. */
  ttl: number;
}

export function expiryAfter(window: Window, ttl: number): Expiry {
  const lo = window.start + ttl;
  return { lo, hi: window.end + ttl + (window.end - window.start) + 2, readLo: lo, ttl };
}

/** Whether something with this expiry is certainly live, certainly gone, or either, during `window`. */
export function liveness(expiry: Expiry | null, window: Window): "live" | "gone" | "either" {
  if (expiry === null || expiry.lo > window.end) return "live";
  if (expiry.hi <= window.start) return "gone";
  return "either";
}
