import { checkpointScenario } from "./checkpoint.js";
import { contentionScenario } from "./contention.js";
import type { Scenario } from "./scenario.js";
import { seedScenario } from "./seed.js";
import { sweepScenario } from "./sweep.js";

/** Every scenario, by name, in run order. */
export const SCENARIOS: readonly Scenario[] = [seedScenario, sweepScenario, contentionScenario, checkpointScenario];

export type { PlannedRow, RunSettings, Scenario } from "./scenario.js";
