/** Latency summary of one run: what every row of every report is made of. */
export interface RunSummary {
  /** Operations measured. */
  n: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Process CPU time (user + system) per operation in µs, when the run measured it. */
  cpuUsPerOp?: number;
}

/**
 * The q-th percentile (0..100) of sorted values, by linear interpolation between closest
 * ranks (numpy's default), so p50 of [1,2,3,4] is 2.5 rather than a rank's neighbour.
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be within 0..100, got ${q}`);
  const count = sorted.length;
  if (count === 0) return Number.NaN;
  const rank = (q / 100) * (count - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[high] as number) - lowValue) * (rank - low);
}

/**
 * Summarises recorded latencies. `elapsedMs` is the wall time of the run; without it (rows
 * interleaved with another row in one loop) throughput is 1000 / mean latency.
 */
export function summarize(latenciesMs: ArrayLike<number>, elapsedMs?: number, cpuUs?: number): RunSummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  const n = sorted.length;
  let total = 0;
  for (const value of sorted) total += value;
  const meanMs = n === 0 ? Number.NaN : total / n;
  const wall = elapsedMs ?? total;
  return {
    n,
    opsPerSec: wall > 0 ? (n * 1000) / wall : Number.NaN,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs,
    maxMs: n === 0 ? Number.NaN : (sorted[n - 1] as number),
    ...(cpuUs !== undefined && n > 0 ? { cpuUsPerOp: cpuUs / n } : {}),
  };
}

/** The run with the median throughput (the lower middle one for an even count): repeats report it, not the best. */
export function medianRun<T extends { opsPerSec: number }>(runs: readonly T[]): T {
  if (runs.length === 0) throw new RangeError("medianRun needs at least one run");
  const ordered = [...runs].sort((a, b) => a.opsPerSec - b.opsPerSec);
  return ordered[Math.floor((ordered.length - 1) / 2)] as T;
}

/** The median of some numbers (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
