import { BackendUnavailableError, isStowageError, monotonicNow } from "@stowage/core";

export type BreakerState = "closed" | "open" | "half-open";

/** What the owner of a breaker hears of each call that reached the backend (in the same step, no extra promise). */
export interface BreakerObserver {
  answered(): void;
  failed(error: unknown): void;
}

/** When the breaker opens and how long it stays open before one probe call may try again. */
export interface CircuitBreakerOptions {
  /** Consecutive unavailability failures that open it (default 3). */
  failureThreshold?: number;
  /** Ms it stays open before letting one probe through (default 1,000). */
  openMs?: number;
}

/**
 * Stops calling a dead L2: closed lets calls through; after `failureThreshold` consecutive
 * ERR_BACKEND_UNAVAILABLE failures it opens and rejects at once; after `openMs` one call goes
 * through as a probe (half-open), closing it on success and reopening it on failure.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #what: string;
  #state: BreakerState = "closed";
  #failures = 0;
  #openedAt = 0;
  #probing = false;
  /** Calls rejected without reaching the backend. */
  rejected = 0;

  /** Told of every call's outcome (after the breaker has counted it), before the caller sees it. */
  readonly #observer: BreakerObserver | undefined;

  constructor(what: string, options: CircuitBreakerOptions = {}, observer?: BreakerObserver) {
    this.#what = what;
    this.#observer = observer;
    this.#threshold = options.failureThreshold ?? 3;
    this.#openMs = options.openMs ?? 1_000;
  }

  get state(): BreakerState {
    if (this.#state === "open" && monotonicNow() - this.#openedAt >= this.#openMs) return "half-open";
    return this.#state;
  }

  /** True while calls go through normally (not open, not probing). */
  get closed(): boolean {
    return this.#state === "closed";
  }

  /** Runs `call` unless the breaker is open (then ERR_BACKEND_UNAVAILABLE without calling it). */
  run<T>(call: () => Promise<T>): Promise<T> {
    // The common case, closed, without the extra async frame of the general path.
    if (this.#state === "closed") {
      let result: Promise<T>;
      try {
        result = call();
      } catch (error) {
        result = Promise.reject(error);
      }
      return result.then(this.#closedSuccess, this.#closedFailure);
    }
    return this.#run(call);
  }

  readonly #closedSuccess = <T>(result: T): T => {
    this.#failures = 0;
    this.#observer?.answered();
    return result;
  };

  readonly #closedFailure = (error: unknown): never => {
    if (isStowageError(error, "ERR_BACKEND_UNAVAILABLE")) this.#failed(false);
    else this.#succeeded();
    this.#observer?.failed(error);
    throw error;
  };

  async #run<T>(call: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === "open" || (state === "half-open" && this.#probing)) {
      this.rejected++;
      const error = new BackendUnavailableError(
        `${this.#what}: circuit open after repeated failures; retrying after a probe`,
      );
      this.#observer?.failed(error);
      throw error;
    }
    const probe = state === "half-open";
    if (probe) this.#probing = true;
    try {
      const result = await call();
      this.#succeeded();
      this.#observer?.answered();
      return result;
    } catch (error) {
      if (isStowageError(error, "ERR_BACKEND_UNAVAILABLE")) this.#failed(probe);
      else this.#succeeded(); // the backend answered, even if with a refusal
      this.#observer?.failed(error);
      throw error;
    } finally {
      if (probe) this.#probing = false;
    }
  }

  #succeeded(): void {
    this.#failures = 0;
    this.#state = "closed";
  }

  #failed(probe: boolean): void {
    this.#failures++;
    if (probe || this.#failures >= this.#threshold) {
      this.#state = "open";
      this.#openedAt = monotonicNow();
    }
  }
}
