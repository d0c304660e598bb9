import { AsyncLocalStorage } from "node:async_hooks";

interface Waiter {
  task: number;
  key: string;
  repeat: number;
  resume(): void;
}

/**
 * Lets several tasks (one per subject) run one at a time, switching only where a task calls
 * `turn(key, repeat)` or ends. The next to run is the waiter at the earliest point: keys in the
 * order they were first reached, then repeat, then the task order rotated by the repeat. So every
 * subject that has row `key` runs its repeat r before any runs repeat r+1, in a different order
 * each repeat, and nothing else (setup, other rows) runs in between.
 */
export class TurnTaking {
  readonly #keys = new Map<string, number>();
  readonly #waiting: Waiter[] = [];
  readonly #tasks: number;
  /** True while a task runs; only the running task calls turn() or ends. */
  #running = false;

  constructor(tasks: number) {
    this.#tasks = tasks;
  }

  /** Gives up the turn and resolves when it is `task`'s turn again at (key, repeat). */
  turn(task: number, key: string, repeat: number): Promise<void> {
    const resumed = this.#wait(task, key, repeat);
    this.#running = false;
    this.#next();
    return resumed;
  }

  /** Queues every task at the start, then lets the first one run. */
  start(): Promise<void>[] {
    const started = Array.from({ length: this.#tasks }, (_, task) => this.#wait(task, "", -1));
    this.#next();
    return started;
  }

  /** A task ended: the next one runs. */
  done(): void {
    this.#running = false;
    this.#next();
  }

  #wait(task: number, key: string, repeat: number): Promise<void> {
    if (!this.#keys.has(key)) this.#keys.set(key, this.#keys.size);
    return new Promise((resume) => this.#waiting.push({ task, key, repeat, resume }));
  }

  #rank(waiter: Waiter): [number, number, number] {
    const rotated = (((waiter.task - Math.max(0, waiter.repeat)) % this.#tasks) + this.#tasks) % this.#tasks;
    return [this.#keys.get(waiter.key) as number, waiter.repeat, rotated];
  }

  #next(): void {
    if (this.#running) return;
    let best: Waiter | undefined;
    for (const waiter of this.#waiting) {
      if (!best || earlier(this.#rank(waiter), this.#rank(best))) best = waiter;
    }
    if (!best) return;
    this.#waiting.splice(this.#waiting.indexOf(best), 1);
    this.#running = true;
    best.resume();
  }
}

function earlier(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number);
  }
  return false;
}

const current = new AsyncLocalStorage<{ turns: TurnTaking; task: number }>();

/** Runs the tasks one at a time, interleaved at their `turn` calls (see TurnTaking); resolves when all have ended. */
export async function runInTurns(tasks: readonly (() => Promise<void>)[]): Promise<void> {
  const turns = new TurnTaking(tasks.length);
  const started = turns.start();
  await Promise.all(
    tasks.map((task, index) =>
      current.run({ turns, task: index }, async () => {
        try {
          await started[index];
          await task();
        } finally {
          turns.done();
        }
      }),
    ),
  );
}

/** Outside runInTurns resolves at once; inside, waits for this task's turn at repeat `repeat` of row `key`. */
export function turn(key: string, repeat: number): Promise<void> {
  const here = current.getStore();
  return here ? here.turns.turn(here.task, key, repeat) : Promise.resolve();
}
