import { medianRun, type RunSummary } from "../stats.js";
import type { RunSettings } from "./scenario.js";

/**
 * Runs `once` for a discarded warm-up (settings.warmup operations, tag "warm"), then
 * settings.repeats times with n operations (tags "r0", "r1", …), and returns the median run of
 * each row `once` measured. Tags keep the runs' keys apart.
 */
export async function repeatRuns<Row extends string>(
  settings: Pick<RunSettings, "n" | "repeats" | "warmup">,
  once: (n: number, tag: string) => Promise<Record<Row, RunSummary>>,
): Promise<{ medians: Record<Row, RunSummary>; runs: number }> {
  if (settings.warmup > 0) await once(settings.warmup, "warm");
  const runs: Record<Row, RunSummary>[] = [];
  for (let r = 0; r < settings.repeats; r++) runs.push(await once(settings.n, `r${r}`));
  const first = runs[0];
  if (!first) throw new Error("repeats must be at least 1");
  const medians = {} as Record<Row, RunSummary>;
  for (const row of Object.keys(first) as Row[]) medians[row] = medianRun(runs.map((run) => run[row]));
  return { medians, runs: runs.length };
}
