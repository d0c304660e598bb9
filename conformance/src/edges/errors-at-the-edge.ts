import { isStowageError, type Lease, type Storage } from "@stowage/core";
import { describe, expect, it } from "vitest";
import type { Selection } from "../selection.js";
import { collect, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";
import {
  cacheTables,
  callWith,
  checkpointTables,
  EDGE,
  jsonTables,
  leaseTables,
  lockTables,
  type MethodTable,
  methodsOf,
  WITHOUT_ARGUMENTS,
} from "./method-tables.js";

/** Every call of `tables` with one argument wrong; returns what answered other than a StowageError with an allowed code. */
async function wrongAnswers(target: object, tables: readonly MethodTable[], where: string): Promise<string[]> {
  const failures: string[] = [];
  for (const table of tables) {
    const valid = table.params.map((param) => param.valid);
    for (const [position, param] of table.params.entries()) {
      for (const bad of param.wrong) {
        const args = [...valid];
        args[position] = bad.value;
        // Trailing undefineds are left out, as a caller would.
        while (args.length > 0 && args[args.length - 1] === undefined && position !== args.length - 1) args.pop();
        const call = `${where}.${table.method}(${param.name} = ${bad.label})`;
        try {
          const result = await callWith(target, table, args);
          // A lease taken by a call that should have been refused is let go, so the next calls are not blocked.
          await (result as { release?: () => Promise<unknown> } | undefined)?.release?.();
          failures.push(`${call} resolved`);
        } catch (error) {
          if (!isStowageError(error) || !bad.codes.includes(error.code)) {
            const got = isStowageError(error) ? error.code : `${(error as Error)?.name}: ${(error as Error)?.message}`;
            failures.push(`${call} threw ${got}, expected ${bad.codes.join(" or ")}`);
          }
        }
      }
    }
  }
  return failures;
}

/** Methods of `target` that no table covers: a new public method must come with its wrong arguments. */
function uncovered(target: object, tables: readonly MethodTable[], also: readonly string[] = []): string[] {
  const covered = new Set([...tables.map((table) => table.method), ...also]);
  return methodsOf(target).filter((name) => !covered.has(name) && !WITHOUT_ARGUMENTS.has(name));
}

/** Every public method called with each wrong type of argument is a typed error, and nothing is written. */
export function errorsAtTheEdge(target: ConformanceTarget, selected: Selection): void {
  describe("errors at the edge", () => {
    const ctx = useStorage(target);
    const empty = async (storage: Storage) => {
      if (selected.cache) expect(await collect(storage.cache.keys())).toEqual([]);
      if (selected.lock) expect(await storage.lock.inspect(EDGE.lock)).toBeUndefined();
      if (selected.checkpoint) expect(await collect(storage.checkpoint.list())).toEqual([]);
    };

    if (selected.cache)
      it("every cache method (json.* included) called with a wrong argument is ERR_INVALID_KEY or ERR_INVALID_ARGUMENT, and nothing is written", async () => {
        const { cache } = ctx.storage;
        expect(uncovered(cache, cacheTables, ["json"]), "cache methods without an argument table").toEqual([]);
        expect(uncovered(cache.json, jsonTables), "json methods without an argument table").toEqual([]);
        const failures = [
          ...(await wrongAnswers(cache, cacheTables, "cache")),
          ...(await wrongAnswers(cache.json, jsonTables, "cache.json")),
        ];
        expect(failures).toEqual([]);
        await empty(ctx.storage);
      });

    if (selected.lock)
      it("every lock and lease method called with a wrong argument is ERR_INVALID_KEY or ERR_INVALID_ARGUMENT, and nothing is held", async () => {
        const { lock } = ctx.storage;
        expect(uncovered(lock, lockTables), "lock methods without an argument table").toEqual([]);
        const failures = await wrongAnswers(lock, lockTables, "lock");
        expect(failures).toEqual([]);
        await empty(ctx.storage);
        const lease: Lease = await lock.acquire(EDGE.lock, { ttl: 10_000 });
        try {
          expect(uncovered(lease, leaseTables), "lease methods without an argument table").toEqual([]);
          expect(await wrongAnswers(lease, leaseTables, "lease")).toEqual([]);
          expect((await lock.inspect(EDGE.lock))?.token, "a wrong extend touched the lease").toBe(lease.token);
        } finally {
          await lease.release();
        }
      });

    if (selected.checkpoint)
      it("every checkpoint method called with a wrong argument is ERR_INVALID_KEY or ERR_INVALID_ARGUMENT, and nothing is written", async () => {
        const { checkpoint } = ctx.storage;
        expect(uncovered(checkpoint, checkpointTables), "checkpoint methods without an argument table").toEqual([]);
        const failures = await wrongAnswers(checkpoint, checkpointTables, "checkpoint");
        expect(failures).toEqual([]);
        await empty(ctx.storage);
      });
  });
}
