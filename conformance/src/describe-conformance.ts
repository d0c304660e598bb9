import { describe, it } from "vitest";
import { cacheAtomic } from "./cache/cache-atomic.js";
import { badInput } from "./cache/cache-bad-input.js";
import { cacheBasics } from "./cache/cache-basics.js";
import { cacheCodec } from "./cache/cache-codec.js";
import { cacheJson } from "./cache/cache-json.js";
import { cacheNamespaces } from "./cache/cache-namespaces.js";
import { cacheProcesses } from "./cache/cache-processes.js";
import { cacheProperties } from "./cache/cache-properties.js";
import { cacheSizeLimit } from "./cache/cache-size-limit.js";
import { cacheTtl } from "./cache/cache-ttl.js";
import { checkpointBasics } from "./checkpoint/checkpoint-basics.js";
import { checkpointBranches } from "./checkpoint/checkpoint-branches.js";
import { checkpointHistories } from "./checkpoint/checkpoint-histories.js";
import { checkpointState } from "./checkpoint/checkpoint-state.js";
import { crashRecovery } from "./crash-recovery.js";
import { damagedStores } from "./damage/damaged-stores.js";
import { errorsAtTheEdge } from "./edges/errors-at-the-edge.js";
import { identifierIsolation } from "./identifiers/identifier-isolation.js";
import { identifierRefusal } from "./identifiers/identifier-refusal.js";
import { lockBasics } from "./lock/lock-basics.js";
import { lockCrash } from "./lock/lock-crash.js";
import { lockOrder } from "./lock/lock-order.js";
import { lockProcesses } from "./lock/lock-processes.js";
import { concurrentMaintenance } from "./maintenance/concurrent-maintenance.js";
import { cacheHistories } from "./model/cache-histories.js";
import { lockHistories } from "./model/lock-histories.js";
import type { Capabilities, ConformanceTarget } from "./target.js";
import { codecEdges } from "./values/codec-edges.js";
import { valueSizes } from "./values/value-sizes.js";

/** Which groups of the suite to register; all by default. */
export interface SuiteSelection {
  cache?: boolean;
  lock?: boolean;
  checkpoint?: boolean;
  /** The damaged-stores group (registered only for targets with the damage capability). */
  damage?: boolean;
}

/** Registers a group only when the backend has the capability; otherwise one skipped test that says why, printed in the run. */
function needs(target: ConformanceTarget, capability: keyof Capabilities, why: string, register: () => void): void {
  if (target.capabilities[capability]) {
    register();
    return;
  }
  skipped(`${target.name}: ${why} skipped — capability ${capability}=false`);
}

/** One skipped test that says why, also printed in the run. */
function skipped(reason: string): void {
  console.log(`[conformance] ${reason}`);
  it.skip(reason, () => {});
}

/**
 * Registers the whole conformance suite under Vitest for one backend: cache, lock and
 * checkpoint promises, bad input, multi-process contention and crash recovery.
 */
export function describeConformance(target: ConformanceTarget, selection: SuiteSelection = {}): void {
  const { cache = true, lock = true, checkpoint = true } = selection;
  const selected = { cache, lock, checkpoint };
  describe(`conformance: ${target.name}`, () => {
    if (cache || checkpoint) badInput(target, selected);
    errorsAtTheEdge(target, selected);
    if (cache || checkpoint) {
      valueSizes(target, selected);
      codecEdges(target, selected);
    }
    if (cache) {
      cacheBasics(target);
      cacheTtl(target);
      cacheNamespaces(target, selected);
      cacheAtomic(target);
      cacheJson(target);

      cacheProperties(target);
      cacheHistories(target);
      cacheCodec(target, selected);
      needs(target, "sizeLimit", "LRU size limit", () => cacheSizeLimit(target));
      needs(target, "multiProcess", "cache atomicity across processes", () => cacheProcesses(target));
    }
    if (lock) {
      lockBasics(target);
      lockHistories(target);
      needs(target, "multiProcess", "lock across processes", () => lockProcesses(target));
      needs(target, "multiProcess", "SIGKILLed lock holder", () => lockCrash(target));
      // Across processes where the backend has them, else across stores of this process.
      lockOrder(target);
    }
    if (checkpoint) {
      checkpointBasics(target);
      checkpointState(target);
      checkpointBranches(target);
      checkpointHistories(target);
    }
    identifierRefusal(target, selected);
    identifierIsolation(target, selected);
    if (cache || checkpoint) needs(target, "survivesCrash", "crash recovery", () => crashRecovery(target));
    if (cache && lock && checkpoint) {
      needs(target, "multiProcess", "maintenance in other processes", () => concurrentMaintenance(target));
    }
    if (selection.damage !== false) {
      if (target.damage) damagedStores(target, target.damage);
      else skipped(`${target.name}: damaged stores skipped — the target has no damage capability (its files)`);
    }
  });
}
