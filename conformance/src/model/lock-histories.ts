import type { Storage } from "@stowage/core";
import fc from "fast-check";
import { describe, it } from "vitest";
import { propertyParameters } from "../runs.js";
import { uniqueNamespace } from "../support.js";
import type { ConformanceTarget } from "../target.js";
import { History } from "./history.js";
import { type LockWorld, lockCommands, releaseAll } from "./lock-commands.js";
import { LockModel } from "./lock-model.js";

/** Histories per run of `npm test`; STOWAGE_CONFORMANCE_RUNS runs more. */
const HISTORIES = 30;
const MAX_STEPS = 40;

/** Instances 0 and 1 share a namespace (two processes of one application); instance 2 has its own. */
const GROUPS = [0, 0, 1] as const;

/**
 * Random histories of acquire, tryAcquire, extend, release, held and inspect on a few names,
 * over three lock instances, with leases that expire mid-history, each step checked against a
 * plain model (lock-model.ts): mutual exclusion, fencing tokens rising per name across
 * instances, extend and release true only for the live holder, an ended lease never blocking a
 * taker, and `held` as the holder's own clock says.
 */
export function lockHistories(target: ConformanceTarget): void {
  describe("lock model histories", () => {
    it("every step of random histories over three lock instances agrees with an in-memory model", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.commands([lockCommands(GROUPS.length)], { maxCommands: MAX_STEPS, size: "max" }),
          async (commands) => {
            const storages: Storage[] = [];
            const world: LockWorld = { locks: [], leases: [] };
            try {
              const namespaces = [uniqueNamespace(), uniqueNamespace()];
              for (const group of GROUPS) storages.push(await target.open(namespaces[group] as string));
              world.locks = storages.map((storage) => storage.lock);
              const model = new LockModel(GROUPS, new History());
              await fc.asyncModelRun(() => ({ model, real: world }), commands);
            } finally {
              await releaseAll(world);
              await Promise.allSettled(storages.map((storage) => storage.close()));
            }
          },
        ),
        propertyParameters(HISTORIES),
      );
    }, 300_000);
  });
}
