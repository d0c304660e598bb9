import { isDeepStrictEqual } from "node:util";
import { timedRun } from "../measure.js";
import type { Subject } from "../subjects/subject.js";
import { repeatRuns } from "./repeat.js";
import { okRow, type PlannedRow, type RunSettings, type Scenario, withOpen } from "./scenario.js";
import { DAY_MS, valueOfSize } from "./workload.js";

/** Keys each row cycles through: a bounded working set keeps 1 MB rows from filling memory. */
export const SWEEP_KEYS = 100;

/** Bytes one row moves at most; rows of large values run fewer operations (never under 20). */
export const SWEEP_BYTE_BUDGET = 64 * 1024 * 1024;

/** Operations of one sweep row: n, capped by the byte budget for large values. */
export function sweepOps(n: number, valueBytes: number): number {
  return Math.min(n, Math.max(20, Math.floor(SWEEP_BYTE_BUDGET / valueBytes)));
}

function plan(subject: Subject, settings: RunSettings): PlannedRow[] {
  if (!subject.open || !subject.capabilities.includes("cache")) return [];
  return settings.valueSizes.flatMap((valueBytes) =>
    settings.concurrencies.flatMap((concurrency) =>
      (["set", "get"] as const).map((row) => ({ row, params: { concurrency, valueBytes } })),
    ),
  );
}

async function run(subject: Subject, settings: RunSettings, done: (row: ReturnType<typeof okRow>) => void) {
  await withOpen(subject, async ({ cache }) => {
    if (!cache) throw new Error(`${subject.name} has no cache`);
    for (const valueBytes of settings.valueSizes) {
      const value = valueOfSize(valueBytes);
      const key = (i: number) => `sweep:${valueBytes}:${i % SWEEP_KEYS}`;
      const sized = { ...settings, n: sweepOps(settings.n, valueBytes), warmup: Math.min(settings.warmup, SWEEP_KEYS) };
      for (let i = 0; i < SWEEP_KEYS; i++) await cache.set(key(i), value, DAY_MS);
      for (const concurrency of settings.concurrencies) {
        const params = { concurrency, valueBytes };
        const label = `sweep c=${concurrency} ${valueBytes}B`;
        const sets = await repeatRuns(`${label} set`, sized, async (n, _tag, minMs) => ({
          set: await timedRun(n, concurrency, (i) => cache.set(key(i), value, DAY_MS), minMs),
        }));
        done(okRow("sweep", subject, { row: "set", params }, sets.set.median, sets.set.runs));
        const gets = await repeatRuns(`${label} get`, sized, async (n, _tag, minMs) => {
          let wrong = 0;
          const summary = await timedRun(
            n,
            concurrency,
            async (i) => {
              if (!isDeepStrictEqual(await cache.get(key(i)), value)) wrong++;
            },
            minMs,
          );
          if (wrong > 0) throw new Error(`get: ${wrong} of ${n} reads did not return the ${valueBytes}-byte value`);
          return { get: summary };
        });
        done(okRow("sweep", subject, { row: "get", params }, gets.get.median, gets.get.runs));
      }
    }
  });
}

/** get/set at concurrency 1, 4, 16, 64 and values of 100 B, 10 KB, 1 MB. */
export const sweepScenario: Scenario = {
  name: "sweep",
  description: `cache get/set at each concurrency and value size, over ${SWEEP_KEYS} keys; rows of large values run at most ${SWEEP_BYTE_BUDGET / 2 ** 20} MiB`,
  plan,
  run,
};
