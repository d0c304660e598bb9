/** Milliseconds on a monotonic clock: leases are timed with it so a wall-clock jump cannot stretch one. */
export function monotonicNow(): number {
  return performance.now();
}

/** Wall-clock milliseconds: stored expiry times use it, because other processes and machines read them. */
export function wallNow(): number {
  return Date.now();
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
