import { median } from "../stats.js";
import type { RoundTiming } from "./timing.js";

/** Per subject, per operation, one timing per round (rounds line up across subjects). */
export type RoundsBySubject = Map<string, Record<string, RoundTiming[]>>;

/**
 * Prints each subject's median round per operation, then the first subject's ops/s over each
 * other's in the same round (adjacent in time), with the lowest and highest of those ratios.
 */
export function printPairedRounds(
  results: RoundsBySubject,
  ops: readonly string[],
  heading: string,
  print: (line: string) => void,
): void {
  print(heading);
  for (const [name, byOp] of results) {
    for (const op of ops) {
      const rounds = byOp[op] ?? [];
      print(
        `${name.padEnd(22)} ${op.padEnd(8)} ${median(rounds.map((r) => r.opsPerSec))
          .toFixed(0)
          .padStart(8)} ops/s  ${median(rounds.map((r) => r.cpuUs))
          .toFixed(2)
          .padStart(7)} cpu µs/op`,
      );
    }
  }
  const [first, ...others] = [...results.keys()];
  if (first === undefined) return;
  for (const other of others) {
    for (const op of ops) {
      const mine = results.get(first)?.[op] ?? [];
      const theirs = results.get(other)?.[op] ?? [];
      const ratios = mine.map((run, i) => run.opsPerSec / (theirs[i]?.opsPerSec ?? Number.NaN));
      const cpu = mine.map((run, i) => (theirs[i]?.cpuUs ?? Number.NaN) / run.cpuUs);
      print(
        `${`${first} ÷ ${other}`.padEnd(30)} ${op.padEnd(8)} ops ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})  cpu ${median(cpu).toFixed(2)}`,
      );
    }
  }
}
