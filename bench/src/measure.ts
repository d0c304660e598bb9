import { type RunSummary, summarize } from "./stats.js";

/**
 * Collects per-operation latencies on the high-resolution clock. With `cpu`, it also adds up the
 * process CPU time of each call: only meaningful when nothing else runs meanwhile (one sequential loop).
 */
export class Recorder {
  readonly #latencies: number[] = [];
  readonly #cpu: boolean;
  #cpuUs = 0;

  constructor(options: { cpu?: boolean } = {}) {
    this.#cpu = options.cpu ?? false;
  }

  /** Runs `op`, records how long it took, and returns its result. */
  async time<T>(op: () => Promise<T> | T): Promise<T> {
    const cpuStart = this.#cpu ? process.cpuUsage() : undefined;
    const start = process.hrtime.bigint();
    const result = await op();
    this.#latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (cpuStart) {
      const used = process.cpuUsage(cpuStart);
      this.#cpuUs += used.user + used.system;
    }
    return result;
  }

  get count(): number {
    return this.#latencies.length;
  }

  summary(elapsedMs?: number, cpuUs?: number): RunSummary {
    return summarize(this.#latencies, elapsedMs, cpuUs ?? (this.#cpu ? this.#cpuUs : undefined));
  }
}

/** Milliseconds since `start` (a process.hrtime.bigint() reading). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Runs operations 0..n-1 on `concurrency` loops that each take the next index, timing every
 * call, and runs that batch again (indices 0..n-1 again) until at least `minMs` have passed, so
 * a fast row is not decided by a few ms of scheduling. Throughput is the operations over the
 * wall time of the whole run; CPU per op is the process CPU time over the run, divided likewise.
 */
export async function timedRun(
  n: number,
  concurrency: number,
  op: (index: number) => Promise<unknown> | unknown,
  minMs = 0,
): Promise<RunSummary> {
  const recorder = new Recorder();
  const loops = Math.max(1, Math.min(concurrency, n));
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  do {
    let next = 0;
    const loop = async () => {
      while (next < n) {
        const index = next++;
        await recorder.time(() => op(index));
      }
    };
    await Promise.all(Array.from({ length: loops }, loop));
  } while (n > 0 && msSince(start) < minMs);
  const elapsed = msSince(start);
  const cpu = process.cpuUsage(cpuStart);
  return recorder.summary(elapsed, cpu.user + cpu.system);
}
