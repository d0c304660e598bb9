import { BackendUnavailableError } from "@stowage/core";
import type { RootDatabase } from "lmdb";

/**
 * Every write of the store waits for LMDB's writer lock here, for at most `timeoutMs`. lmdb-js
 * takes the lock on its write thread (`transaction`, batched puts), so the wait never blocks
 * the event loop, whatever another process does inside its own write transaction; a
 * `transactionSync` would block the whole process until that process commits.
 */
export class WriteWait {
  readonly #root: RootDatabase;
  readonly timeoutMs: number;
  readonly where: string;

  constructor(root: RootDatabase, timeoutMs: number, where: string) {
    this.#root = root;
    this.timeoutMs = timeoutMs;
    this.where = where;
  }

  /**
   * Runs `fn` in a write transaction. When the lock does not come within the timeout the call
   * rejects with ERR_BACKEND_UNAVAILABLE, and its callback, run when the lock comes free, writes
   * nothing: a timed-out lock call never leaves a lease behind. One that has the lock commits.
   */
  transaction<T>(fn: () => T): Promise<T> {
    let state: "waiting" | "running" | "abandoned" = "waiting";
    const committed = this.#root.transaction(() => {
      if (state === "abandoned") return undefined;
      state = "running";
      return fn();
    });
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (state !== "waiting") return;
        state = "abandoned";
        reject(this.#timedOut());
      }, this.timeoutMs);
      committed.then(
        (value) => {
          clearTimeout(timer);
          if (state !== "abandoned") resolve(value as T);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (state !== "abandoned") reject(error);
        },
      );
    });
  }

  /**
   * A batched put or remove, bounded the same way. It cannot be withdrawn from lmdb's queue, so
   * one that timed out may still land once the lock comes free (as a Redis command that timed out).
   */
  bounded<T>(write: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.#timedOut()), this.timeoutMs);
      write.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #timedOut(): BackendUnavailableError {
    return new BackendUnavailableError(
      `lmdb at ${this.where}: another process held the write lock for over ${this.timeoutMs} ms (the store's timeout)`,
    );
  }
}
