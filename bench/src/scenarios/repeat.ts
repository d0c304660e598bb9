import { medianRun, type RunSummary } from "../stats.js";
import { turn } from "../turns.js";
import type { RunSettings } from "./scenario.js";

/** A row's median run and every measured run, in repeat order (repeat i of every subject shares a time window). */
export interface RowRuns {
  median: RunSummary;
  runs: RunSummary[];
}

/**
 * Runs `once` for a discarded warm-up (settings.warmup operations, tag "warm"), then
 * settings.repeats times with n operations (tags "r0", "r1", …) and settings.minMs as the
 * shortest run, and returns each row `once` measured. Tags keep the runs' keys apart. Under the
 * runner each run waits for its turn at `key`: repeat r of every subject runs before repeat r+1.
 */
export async function repeatRuns<Row extends string>(
  key: string,
  settings: Pick<RunSettings, "n" | "repeats" | "warmup" | "minMs">,
  once: (n: number, tag: string, minMs: number) => Promise<Record<Row, RunSummary>>,
): Promise<Record<Row, RowRuns>> {
  if (settings.warmup > 0) {
    await turn(key, -1);
    await once(settings.warmup, "warm", 0);
  }
  const runs: Record<Row, RunSummary>[] = [];
  for (let r = 0; r < settings.repeats; r++) {
    // Let the event loop turn between repeats (outside the timed run): a backend whose calls all
    // resolve at once (memory, SQLite) would otherwise hold off signals (^C) until the scenario ends.
    await new Promise((resolve) => setImmediate(resolve));
    await turn(key, r);
    runs.push(await once(settings.n, `r${r}`, settings.minMs));
  }
  const first = runs[0];
  if (!first) throw new Error("repeats must be at least 1");
  const rows = {} as Record<Row, RowRuns>;
  for (const row of Object.keys(first) as Row[]) {
    const all = runs.map((run) => run[row]);
    rows[row] = { median: medianRun(all), runs: all };
  }
  return rows;
}
