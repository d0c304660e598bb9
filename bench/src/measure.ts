import { type RunSummary, summarize } from "./stats.js";

/** Collects per-operation latencies on the high-resolution clock. */
export class Recorder {
  readonly #latencies: number[] = [];

  /** Runs `op`, records how long it took, and returns its result. */
  async time<T>(op: () => Promise<T> | T): Promise<T> {
    const start = process.hrtime.bigint();
    const result = await op();
    this.#latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    return result;
  }

  get count(): number {
    return this.#latencies.length;
  }

  summary(elapsedMs?: number): RunSummary {
    return summarize(this.#latencies, elapsedMs);
  }
}

/** Milliseconds since `start` (a process.hrtime.bigint() reading). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Runs operations 0..n-1 on `concurrency` loops that each take the next index, timing every
 * call; throughput is n over the wall time of the whole run.
 */
export async function timedRun(
  n: number,
  concurrency: number,
  op: (index: number) => Promise<unknown> | unknown,
): Promise<RunSummary> {
  const recorder = new Recorder();
  let next = 0;
  const loop = async () => {
    while (next < n) {
      const index = next++;
      await recorder.time(() => op(index));
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, loop));
  return recorder.summary(msSince(start));
}
