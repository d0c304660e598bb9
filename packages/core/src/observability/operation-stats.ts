/** Latency of one operation of a store, in this process. */
export interface OperationLatency {
  count: number;
  /** Calls that rejected (refused input included: the caller sees it as a failed call). */
  errors: number;
  totalMs: number;
  maxMs: number;
  /** Calls by upper bound in ms (`le`), cumulative like a Prometheus histogram; the last bound is +Infinity. */
  buckets: { le: number; count: number }[];
}

/** Bucket bounds (ms): a local read is well under 0.1 ms, a Redis round trip about 0.2–2 ms. */
export const LATENCY_BUCKETS_MS = [0.1, 0.5, 1, 5, 25, 100, 500, Number.POSITIVE_INFINITY] as const;

interface Counter {
  count: number;
  errors: number;
  totalMs: number;
  maxMs: number;
  inBucket: number[];
}

/** Count, total, max and a small histogram of each operation's latency. */
export class OperationStats {
  readonly #counters = new Map<string, Counter>();

  record(operation: string, ms: number, failed: boolean): void {
    let counter = this.#counters.get(operation);
    if (counter === undefined) {
      counter = { count: 0, errors: 0, totalMs: 0, maxMs: 0, inBucket: LATENCY_BUCKETS_MS.map(() => 0) };
      this.#counters.set(operation, counter);
    }
    counter.count++;
    if (failed) counter.errors++;
    counter.totalMs += ms;
    if (ms > counter.maxMs) counter.maxMs = ms;
    let bucket = 0;
    while (ms > (LATENCY_BUCKETS_MS[bucket] as number)) bucket++;
    (counter.inBucket[bucket] as number)++;
  }

  /** A copy: operations never called are left out. */
  snapshot(): Record<string, OperationLatency> {
    const out: Record<string, OperationLatency> = {};
    for (const [operation, counter] of this.#counters) {
      let cumulative = 0;
      out[operation] = {
        count: counter.count,
        errors: counter.errors,
        totalMs: counter.totalMs,
        maxMs: counter.maxMs,
        buckets: LATENCY_BUCKETS_MS.map((le, i) => {
          cumulative += counter.inBucket[i] as number;
          return { le, count: cumulative };
        }),
      };
    }
    return out;
  }
}
