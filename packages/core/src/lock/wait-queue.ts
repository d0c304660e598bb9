/**
 * In-process FIFO of waiters per lock name: only the head polls the backend, so callers in
 * one process are served in arrival order and do not multiply the backend's load.
 */
export class WaitQueue {
  readonly #queues = new Map<string, Array<() => void>>();

  /**
   * When nobody in this process waits for `name`, makes the caller its head at once and returns
   * the function that leaves; otherwise undefined (call enter to wait in line). The common case
   * of an uncontended name then costs no promise and no extra turn of the event loop.
   */
  tryEnter(name: string): (() => void) | undefined {
    if (this.#queues.has(name)) return undefined;
    const q: Array<() => void> = [];
    const head = () => {};
    q.push(head);
    this.#queues.set(name, q);
    return this.#leaver(name, q, head);
  }

  #leaver(name: string, q: Array<() => void>, wake: () => void): () => void {
    return () => {
      const at = q.indexOf(wake);
      if (at === -1) return;
      q.splice(at, 1);
      if (at === 0) q[0]?.();
      if (q.length === 0 && this.#queues.get(name) === q) this.#queues.delete(name);
    };
  }

  /** Resolves when the caller is at the head of the queue for `name`; returns a function that leaves it. */
  async enter(name: string, signal?: AbortSignal): Promise<() => void> {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = [];
      this.#queues.set(name, queue);
    }
    const q = queue;
    let wake!: () => void;
    const turn = new Promise<void>((resolve) => {
      wake = resolve;
    });
    q.push(wake);
    if (q[0] === wake) wake();
    const leave = this.#leaver(name, q, wake);
    if (!signal) {
      await turn;
      return leave;
    }
    try {
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        turn.then(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    } catch (error) {
      leave();
      throw error;
    }
    return leave;
  }
}
