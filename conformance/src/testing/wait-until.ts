import { isStowageError, sleep } from "@stowage/core";

// Generous default deadlines: they only bound how long a failing test takes, never make a passing one fail.

/** Resolves once `check` returns true; rejects naming `what` when `timeoutMs` passes first. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Runs `step` until it resolves, retrying the errors `retryable` accepts; the last error is thrown once `timeoutMs` passes. */
export async function retrying<T>(
  step: () => Promise<T>,
  retryable: (error: unknown) => boolean,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await step();
    } catch (error) {
      if (!retryable(error) || Date.now() > deadline) throw error;
      await sleep(everyMs);
    }
  }
}

/** Runs `step` until the backend answers again: retries ERR_BACKEND_UNAVAILABLE (a restart or failover in progress). */
export function eventually<T>(step: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  return retrying(step, (error) => isStowageError(error, "ERR_BACKEND_UNAVAILABLE"), timeoutMs, 100);
}
