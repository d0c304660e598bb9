export { describeConformance, type SuiteSelection } from "./describe-conformance.js";
export {
  checkpointNs,
  identifier,
  LIMIT_BYTES,
  REFUSED,
  SEPARATORS,
  shiftedPairs,
  TWINS,
} from "./identifiers/identifier-cases.js";
export { concurrentMaintenance } from "./maintenance/concurrent-maintenance.js";
export { killAll, startWorker, type Worker, workerUrl } from "./processes.js";
export { propertyParameters, propertyRuns } from "./runs.js";
export { collect, concurrently, expectCode, sleepMs, uniqueNamespace, useStorage } from "./support.js";
export {
  type Capabilities,
  type ConformanceTarget,
  type DamageableFile,
  type DamageCapability,
  type DamageKind,
  type ForeignStore,
  type OpenOptions,
  openByUrl,
} from "./target.js";
