/**
 * In-process FIFO of waiters per lock name: only the head polls the backend, so callers in
 * one process are served in arrival order and do not multiply the backend's load.
 */
export class WaitQueue {
  readonly #queues = new Map<string, Array<() => void>>();

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
    const leave = () => {
      const at = q.indexOf(wake);
      if (at === -1) return;
      q.splice(at, 1);
      if (at === 0) q[0]?.();
      if (q.length === 0 && this.#queues.get(name) === q) this.#queues.delete(name);
    };
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
