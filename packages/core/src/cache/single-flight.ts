/** Runs one load per key at a time; concurrent callers of a key share its promise. */
export class SingleFlight {
  readonly #inFlight = new Map<string, Promise<unknown>>();

  /** Returns [promise, shared]: shared is true when the caller joined a load already running. */
  run<T>(key: string, load: () => Promise<T>): [Promise<T>, boolean] {
    const running = this.#inFlight.get(key);
    if (running) return [running as Promise<T>, true];
    const promise = load().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, promise);
    return [promise, false];
  }
}
