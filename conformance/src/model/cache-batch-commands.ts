import type { Cache } from "@stowage/core";
import { type CacheCommand, k, step, ttlCommand, ttlText, written } from "./cache-key-commands.js";
import { reads } from "./cache-model.js";
import { KEY_POOL } from "./cache-values.js";
import { returns, returnsBetween, show } from "./outcome.js";
import { StepCommand } from "./step-command.js";

/** The calls of the cache contract that touch several keys, or every key of a namespace. */
type Command = CacheCommand;

export function getManyCommand(ns: number, keys: string[]): Command {
  const call = `[ns${ns}] getMany(${show(keys)})`;
  return new StepCommand(call, (model, world) =>
    step(
      model,
      call,
      () => (world.caches[ns] as Cache).getMany(keys),
      (seen, window) => {
        const values = "value" in seen ? seen.value : undefined;
        if (!Array.isArray(values) || values.length !== keys.length) {
          throw model.history.mismatch(call, seen, [returns(keys.map(() => "…"))], "one value per key, in order");
        }
        // A key read twice shows one value, or that value then nothing when it expired meanwhile.
        for (const key of new Set(keys)) {
          const shown = keys.flatMap((other, i) => (other === key ? [values[i]] : []));
          const ordered = [...new Map(shown.map((v) => [show(v), v])).values()].sort(
            (a, b) => Number(a === undefined) - Number(b === undefined),
          );
          for (const v of ordered) model.apply(ns, key, window, { value: v }, call, (state) => reads(state));
        }
      },
    ),
  );
}

export function setManyCommand(ns: number, entries: { key: string; value: unknown; ttl?: number }[]): Command {
  const call = `[ns${ns}] setMany(${entries.map((e) => `{ ${k(e.key)}: ${show(e.value)}${ttlText(e.ttl)} }`).join(", ")})`;
  return new StepCommand(call, (model, world) =>
    step(
      model,
      call,
      () => (world.caches[ns] as Cache).setMany(entries),
      (seen, window) => {
        // In order: a key given twice ends with its last value, as two sets would.
        for (const entry of entries) {
          model.apply(ns, entry.key, window, seen, call, () => ({
            expect: returns(undefined),
            next: written(entry.value, entry.ttl, window),
          }));
        }
      },
    ),
  );
}

export function deleteManyCommand(ns: number, keys: string[]): Command {
  const call = `[ns${ns}] deleteMany(${show(keys)})`;
  return new StepCommand(call, (model, world) =>
    step(
      model,
      call,
      () => (world.caches[ns] as Cache).deleteMany(keys),
      (seen, window) => {
        // Counts each live key once, however often it is named.
        let least = 0;
        let most = 0;
        for (const key of new Set(keys)) {
          const live = model.seenDuring(ns, key, window).map((state) => state !== undefined);
          if (live.every(Boolean)) least++;
          if (live.some(Boolean)) most++;
        }
        const expected = least === most ? returns(least) : returnsBetween(least, most);
        if (!expected.accepts(seen)) throw model.history.mismatch(call, seen, [expected]);
        for (const key of keys) model.put(ns, key, undefined);
      },
    ),
  );
}

export function keysCommand(ns: number, prefix: string): Command {
  const call = `[ns${ns}] keys(${k(prefix)})`;
  return new StepCommand(call, (model, world) =>
    step(
      model,
      call,
      async () => {
        const out: string[] = [];
        for await (const key of (world.caches[ns] as Cache).keys(prefix)) out.push(key);
        return out.sort();
      },
      (seen, window) => {
        const listed = "value" in seen && Array.isArray(seen.value) ? (seen.value as string[]) : undefined;
        if (!listed) throw model.history.mismatch(call, seen, [returns(["…"])]);
        if (new Set(listed).size !== listed.length) {
          throw model.history.mismatch(call, seen, [returns([...new Set(listed)])], "each key is yielded once");
        }
        for (const key of new Set([...model.knownKeys(ns), ...listed])) {
          const under = key.startsWith(prefix);
          if (!under && listed.includes(key)) {
            throw model.history.mismatch(call, seen, [], `${k(key)} does not start with the prefix`);
          }
          if (!under) continue;
          model.apply(ns, key, window, { value: listed.includes(key) }, call, (state) => ({
            expect: returns(state !== undefined),
            next: state,
          }));
        }
      },
    ),
  );
}

export function clearCommand(ns: number): Command {
  const call = `[ns${ns}] clear()`;
  return new StepCommand(call, (model, world) =>
    step(
      model,
      call,
      () => (world.caches[ns] as Cache).clear(),
      (seen) => {
        if (!returns(undefined).accepts(seen)) throw model.history.mismatch(call, seen, [returns(undefined)]);
        model.clear(ns);
      },
    ),
  );
}

/** ttl() of every key the namespace may hold, as the history reached it. */
export function ttlSweepCommand(ns: number): Command {
  return new StepCommand(`[ns${ns}] ttl(each key it may hold)`, async (model, world) => {
    for (const key of model.knownKeys(ns)) await ttlCommand(ns, key).run(model, world);
  });
}

/** The reads every history ends with, on every namespace: what each key holds, its ttl, and what keys() lists. */
export function finalChecks(namespaces: number): Command[] {
  return Array.from({ length: namespaces }, (_, ns) => [
    getManyCommand(ns, [...KEY_POOL]),
    ttlSweepCommand(ns),
    keysCommand(ns, ""),
  ]).flat();
}
