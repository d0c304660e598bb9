import type { ResultRow } from "../result.js";
import { median, type RunSummary } from "../stats.js";
import type { OpenSubject, Subject } from "../subjects/subject.js";

/** What every scenario reads from the command line. */
export interface RunSettings {
  /** Operations per row (the seed's N). */
  n: number;
  /** Measured runs per row; the median run is reported. */
  repeats: number;
  /** Operations of the discarded warm-up run before each row. */
  warmup: number;
  /** Shortest measured run in ms: a run repeats its batch of operations until this much time has passed. */
  minMs: number;
  /** Lock contenders in `contention`. */
  workers: number;
  /** How long each contention run cycles the lock, in ms. */
  durationMs: number;
  /** How long a contender holds each acquisition in `contention`, in ms. */
  holdMs: number;
  /** Concurrent callers per contention worker process. */
  callers: number;
  /** SIGKILL one contention worker while it waits, a third of the way into each run. */
  killOne: boolean;
  /** Checkpoints in the thread of the `checkpoint` scenario. */
  threadSize: number;
  /** Concurrency levels of `sweep`. */
  concurrencies: readonly number[];
  /** Value sizes of `sweep`, in bytes. */
  valueSizes: readonly number[];
}

/** A row a scenario will report for a subject, before it is measured. */
export interface PlannedRow {
  row: string;
  params: Record<string, number>;
}

/** Called after each row is measured (progress output). */
export type RowDone = (row: ResultRow) => void;

/** A named workload. */
export interface Scenario {
  name: string;
  description: string;
  /** The rows this scenario reports for the subject; none when the subject has no part in it. */
  plan(subject: Subject, settings: RunSettings): PlannedRow[];
  /** Measures the planned rows; throwing turns every unreported row into a skipped one with the reason. */
  run(subject: Subject, settings: RunSettings, done: RowDone): Promise<void>;
}

/**
 * A row of `subject` built from a measured summary. Given every run (in repeat order), it also
 * keeps each run's ops/s (for paired ratios) and the median CPU µs per op.
 */
export function okRow(
  scenario: string,
  subject: Subject,
  planned: PlannedRow,
  summary: { n: number; opsPerSec: number; p50Ms: number; p99Ms: number },
  runs: number | readonly RunSummary[],
  extra?: Record<string, number>,
): ResultRow {
  const all = typeof runs === "number" ? undefined : runs;
  const cpu = all?.map((run) => run.cpuUsPerOp).filter((value): value is number => value !== undefined);
  return {
    scenario,
    row: planned.row,
    subject: subject.name,
    kind: subject.kind,
    ...(subject.ceilingOf ? { ceilingOf: subject.ceilingOf } : {}),
    params: planned.params,
    status: "ok",
    n: summary.n,
    runs: all ? all.length : (runs as number),
    ...(all ? { repeatOpsPerSec: all.map((run) => run.opsPerSec) } : {}),
    ...(cpu && cpu.length > 0 && cpu.length === all?.length ? { cpuUsPerOp: median(cpu) } : {}),
    ...(subject.server ? { server: subject.server() } : {}),
    opsPerSec: summary.opsPerSec,
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    rssBytes: process.memoryUsage.rss(),
    ...(extra ? { extra } : {}),
  };
}

/** Opens the subject, runs `body`, and closes it however `body` ends. */
export async function withOpen(subject: Subject, body: (opened: OpenSubject) => Promise<void>): Promise<void> {
  if (!subject.open) throw new Error(`${subject.name} runs only the seed scenario`);
  const opened = await subject.open();
  try {
    await body(opened);
  } finally {
    await opened.close();
  }
}
