export type { Capabilities, ConformanceTarget } from "./target.js";
