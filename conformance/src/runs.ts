import type fc from "fast-check";

/**
 * How many generated cases a property group runs: STOWAGE_CONFORMANCE_RUNS when set (a nightly
 * run sets it high, `stowage check --quick` low), else the group's default, sized so that
 * `npm test` stays within its budget.
 */
export function propertyRuns(defaultRuns: number): number {
  const raw = process.env.STOWAGE_CONFORMANCE_RUNS;
  if (raw === undefined || raw === "") return defaultRuns;
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`STOWAGE_CONFORMANCE_RUNS must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return runs;
}

/**
 * fast-check parameters of a property group: its number of runs, and STOWAGE_CONFORMANCE_SEED
 * to replay a failure (fast-check prints the seed, path and shrunk counterexample when one fails).
 */
export function propertyParameters<T>(defaultRuns: number): fc.Parameters<T> {
  const seed = process.env.STOWAGE_CONFORMANCE_SEED;
  return {
    numRuns: propertyRuns(defaultRuns),
    ...(seed ? { seed: Number(seed) } : {}),
    ...(process.env.STOWAGE_CONFORMANCE_PATH ? { path: process.env.STOWAGE_CONFORMANCE_PATH } : {}),
    verbose: 1,
  };
}
