import type { ResultRow } from "./result.js";
import type { PlannedRow, RunSettings, Scenario } from "./scenarios/scenario.js";
import type { Subject } from "./subjects/subject.js";
import { runInTurns } from "./turns.js";

/** Told about the plan once, then about every finished row. */
export interface ProgressSink {
  start(totalRows: number): void;
  row(row: ResultRow): void;
  stop(): void;
}

/** Thrown from a row callback once ^C was pressed: the subject stops at that row. */
class Stopped extends Error {}

/** What a row never measured because the run was interrupted says. */
export const INTERRUPTED = "interrupted (^C) before this row ran";

const keyOf = (row: { row: string; params: Record<string, number> }) => `${row.row}${JSON.stringify(row.params)}`;

/**
 * Runs every scenario on every subject. Within a scenario the subjects take turns (see
 * runInTurns): each subject opens its state once, as the scenario does it, and repeat r of a
 * row runs on every subject before repeat r+1 on any, so a subject's runs and its peers' share
 * time windows. A subject that fails to open or errs mid-way does not stop the run: its
 * unreported rows become skipped rows carrying the reason. Rows come back in plan order
 * (scenario, subject, row), not in the order they were measured. Once `interrupt` is requested,
 * each subject stops after the row it is on and every row not measured is skipped as INTERRUPTED.
 */
export async function runBench(
  scenarios: readonly Scenario[],
  subjects: readonly Subject[],
  settings: RunSettings,
  progress: ProgressSink,
  interrupt?: { readonly requested: boolean },
): Promise<ResultRow[]> {
  const plans = scenarios.map((scenario) =>
    subjects.map((subject) => ({ scenario, subject, planned: scenario.plan(subject, settings) })),
  );
  progress.start(plans.flat().reduce((total, plan) => total + plan.planned.length, 0));
  const rows: ResultRow[] = [];
  try {
    for (const group of plans) {
      const found = group.map(() => new Map<string, ResultRow>());
      const tasks = group
        .map((plan, index) => ({ ...plan, found: found[index] as Map<string, ResultRow> }))
        .filter((plan) => plan.planned.length > 0)
        .map(({ scenario, subject, planned, found }) => async () => {
          try {
            if (interrupt?.requested) throw new Stopped();
            await scenario.run(subject, settings, (row) => {
              found.set(keyOf(row), row);
              progress.row(row);
              // Stop at a finished row: what was measured is kept, the rest is skipped as interrupted.
              if (interrupt?.requested) throw new Stopped();
            });
          } catch (error) {
            const reason =
              error instanceof Stopped || interrupt?.requested
                ? INTERRUPTED
                : error instanceof Error
                  ? error.message
                  : String(error);
            for (const plan of planned.filter((row) => !found.has(keyOf(row)))) {
              const row = skippedRow(scenario, subject, plan, reason);
              found.set(keyOf(row), row);
              progress.row(row);
            }
          }
        });
      await runInTurns(tasks);
      group.forEach((plan, index) => {
        const mine = found[index] as Map<string, ResultRow>;
        const inPlan = new Set(plan.planned.map(keyOf));
        for (const planned of plan.planned) {
          const row = mine.get(keyOf(planned));
          if (row) rows.push(row);
        }
        for (const [key, row] of mine) if (!inPlan.has(key)) rows.push(row);
      });
    }
  } finally {
    progress.stop();
  }
  return rows;
}

function skippedRow(scenario: Scenario, subject: Subject, plan: PlannedRow, reason: string): ResultRow {
  return {
    scenario: scenario.name,
    row: plan.row,
    subject: subject.name,
    kind: subject.kind,
    ...(subject.ceilingOf ? { ceilingOf: subject.ceilingOf } : {}),
    ...(subject.server ? { server: subject.server() } : {}),
    params: plan.params,
    status: "skipped",
    reason,
  };
}
