import type { Storage } from "@stowage/core";
import fc from "fast-check";
import { describe, it } from "vitest";
import { propertyParameters } from "../runs.js";
import { uniqueNamespace } from "../support.js";
import type { ConformanceTarget } from "../target.js";
import { cacheCommands, finalChecks } from "./cache-commands.js";
import { CacheModel } from "./cache-model.js";
import { History } from "./history.js";

/** Histories per run of `npm test`; STOWAGE_CONFORMANCE_RUNS runs more. */
const HISTORIES = 30;
const MAX_STEPS = 40;

/** Namespaces of one history: one a prefix of the others, so a store that matches namespaces by prefix shows it. */
function namespacesOfOneHistory(): string[] {
  const base = uniqueNamespace();
  return [base, `${base}.c`, `${base}-c`];
}

/**
 * Random histories over the whole cache contract, on three namespaces of one backend, each step
 * checked against a plain in-memory model (cache-model.ts); a failure prints the shrunk history,
 * what the store answered at each step, and the seed to replay it (STOWAGE_CONFORMANCE_SEED).
 */
export function cacheHistories(target: ConformanceTarget): void {
  describe("cache model histories", () => {
    it("every step of random histories over three namespaces agrees with an in-memory model", async () => {
      const namespaces = 3;
      await fc.assert(
        fc.asyncProperty(
          fc.commands([cacheCommands(namespaces)], { maxCommands: MAX_STEPS, size: "max" }),
          async (commands) => {
            const storages: Storage[] = [];
            try {
              for (const namespace of namespacesOfOneHistory()) storages.push(await target.open(namespace));
              const model = new CacheModel(namespaces, new History());
              const world = { caches: storages.map((storage) => storage.cache) };
              await fc.asyncModelRun(() => ({ model, real: world }), [...commands, ...finalChecks(namespaces)]);
            } finally {
              // Leave nothing behind: `stowage check` runs this on live deployments.
              await Promise.allSettled(
                storages.map(async (storage) => {
                  await storage.cache.clear().catch(() => {});
                  await storage.close();
                }),
              );
            }
          },
        ),
        propertyParameters(HISTORIES),
      );
    }, 300_000);
  });
}
