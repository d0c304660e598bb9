import type { ResultRow } from "./result.js";
import type { RunSettings, Scenario } from "./scenarios/scenario.js";
import type { Subject } from "./subjects/subject.js";

/** Told about the plan once, then about every finished row. */
export interface ProgressSink {
  start(totalRows: number): void;
  row(row: ResultRow): void;
  stop(): void;
}

/**
 * Runs every scenario on every subject, in order. A subject that fails to open or errs mid-way
 * does not stop the run: its unreported rows become skipped rows carrying the reason.
 */
export async function runBench(
  scenarios: readonly Scenario[],
  subjects: readonly Subject[],
  settings: RunSettings,
  progress: ProgressSink,
): Promise<ResultRow[]> {
  const plans = scenarios.flatMap((scenario) =>
    subjects.map((subject) => ({ scenario, subject, planned: scenario.plan(subject, settings) })),
  );
  progress.start(plans.reduce((total, plan) => total + plan.planned.length, 0));
  const rows: ResultRow[] = [];
  try {
    for (const { scenario, subject, planned } of plans) {
      if (planned.length === 0) continue;
      const reported = new Set<string>();
      const keyOf = (row: { row: string; params: Record<string, number> }) => `${row.row}${JSON.stringify(row.params)}`;
      try {
        await scenario.run(subject, settings, (row) => {
          reported.add(keyOf(row));
          rows.push(row);
          progress.row(row);
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        for (const plan of planned.filter((row) => !reported.has(keyOf(row)))) {
          const row: ResultRow = {
            scenario: scenario.name,
            row: plan.row,
            subject: subject.name,
            kind: subject.kind,
            ...(subject.ceilingOf ? { ceilingOf: subject.ceilingOf } : {}),
            params: plan.params,
            status: "skipped",
            reason,
          };
          rows.push(row);
          progress.row(row);
        }
      }
    }
  } finally {
    progress.stop();
  }
  return rows;
}
