import { median } from "../stats.js";

/** One round of one subject: wall-clock throughput and process CPU (user + system) per operation. */
export interface RoundTiming {
  opsPerSec: number;
  cpuUs: number;
}

/** Runs op(0..n-1) from `concurrency` loops at once and times the whole. */
export async function timeLoops(
  n: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<RoundTiming> {
  let next = 0;
  const loop = async () => {
    while (next < n) await op(next++);
  };
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  return { opsPerSec: (n * 1000) / wallMs, cpuUs: (used.user + used.system) / n };
}

/** Microseconds since `start` (a process.hrtime.bigint()). */
export function microsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000;
}

/** The order of subjects in a round: rotated each round so none always runs first or last. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  return items.map((_, k) => items[(k + Math.max(0, round)) % items.length] as T);
}

/** `median` with a fixed number of decimals, for printed lines. */
export function medianText(values: readonly number[], digits: number): string {
  return median(values).toFixed(digits);
}
