import type { Scenario } from "./scenario.js";
import { seedScenario } from "./seed.js";

/** Every scenario, by name, in run order. */
export const SCENARIOS: readonly Scenario[] = [seedScenario];

export type { PlannedRow, RunSettings, Scenario } from "./scenario.js";
