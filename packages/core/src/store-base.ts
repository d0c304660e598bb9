import type { BackendHealth } from "./drivers/backend.js";
import { ClosedError } from "./errors.js";

/** What a store needs from the backend it was opened on: health and a way to let go of it. */
export interface BackendHandle {
  health(): Promise<BackendHealth>;
  /** Called once when the store closes; the backend closes when its last store lets go. */
  release(): Promise<void>;
}

/** Closed-state bookkeeping shared by the cache, lock and checkpoint stores. */
export abstract class StoreBase implements AsyncDisposable {
  #closed = false;
  readonly #handle: BackendHandle;
  readonly #what: string;

  protected constructor(handle: BackendHandle, what: string) {
    this.#handle = handle;
    this.#what = what;
  }

  /** Throws ClosedError when the store was closed. */
  protected assertOpen(): void {
    if (this.#closed) throw new ClosedError(this.#what);
  }

  /** Reachability and latency of the backend; never throws. */
  health(): Promise<BackendHealth> {
    return this.#handle.health();
  }

  /** Closes this store; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
