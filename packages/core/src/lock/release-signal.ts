import { EventEmitter } from "node:events";

/** Subscribes `wake` to a backend's release signal and returns the function that unsubscribes. */
export type WakeSource = (wake: () => void) => () => void;

/**
 * Sleeps up to `timeoutMs`, ending early when any source wakes it (a release hint: the caller
 * retries at once); true when woken. The caller's own abort rejects with its reason. Written
 * without an AbortController or a rejected timer (an Error per wake-up cost ~100 µs of a
 * hand-off between processes on this machine).
 */
export function sleepUntilWoken(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  ...sources: WakeSource[]
): Promise<boolean> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    const unsubscribes: Array<() => void> = [];
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      for (const unsubscribe of unsubscribes) unsubscribe();
      return true;
    };
    const onAbort = () => {
      if (settle()) reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      if (settle()) resolve(false);
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    const wake = () => {
      if (settle()) resolve(true);
    };
    for (const source of sources) {
      const unsubscribe = source(wake);
      // A source that woke at once: what subscribed after settle() ran is unsubscribed here.
      if (settled) unsubscribe();
      else unsubscribes.push(unsubscribe);
    }
  });
}

/**
 * Same-process release hints by key (a lock name, qualified by namespace where stores share
 * one signal): a release in this process wakes its waiters without waiting for a poll.
 */
export class ReleaseSignal {
  readonly #events = new EventEmitter().setMaxListeners(0);

  /** Wakes every waiter of `key` in this process. */
  notify(key: string): void {
    this.#events.emit(key);
  }

  /** The wake source for `key`, to pass to sleepUntilWoken beside the backend's own. */
  source(key: string): WakeSource {
    return (wake) => {
      this.#events.once(key, wake);
      return () => this.#events.off(key, wake);
    };
  }

  /** Sleeps up to `timeoutMs` or until `key` is released in this process or by another source. */
  wait(key: string, timeoutMs: number, signal?: AbortSignal, ...others: WakeSource[]): Promise<boolean> {
    return sleepUntilWoken(timeoutMs, signal, this.source(key), ...others);
  }
}
