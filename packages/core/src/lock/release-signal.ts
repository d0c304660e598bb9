import { EventEmitter } from "node:events";
import { sleep } from "../clock.js";

/** Subscribes `wake` to a backend's release signal and returns the function that unsubscribes. */
export type WakeSource = (wake: () => void) => () => void;

/**
 * Sleeps up to `timeoutMs`, ending early when any source wakes it (a release hint: the caller
 * retries at once); true when woken. The caller's own abort rejects with its reason.
 */
export async function sleepUntilWoken(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  ...sources: WakeSource[]
): Promise<boolean> {
  signal?.throwIfAborted();
  const woken = new AbortController();
  const onAbort = () => woken.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const wake = () => woken.abort("released");
  const unsubscribes: Array<() => void> = [];
  try {
    for (const source of sources) unsubscribes.push(source(wake));
    await sleep(timeoutMs, woken.signal);
    return false;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (!woken.signal.aborted) throw error;
    return true;
  } finally {
    for (const unsubscribe of unsubscribes) unsubscribe();
    signal?.removeEventListener("abort", onAbort);
  }
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
