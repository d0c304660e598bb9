import type { Cache } from "@stowage/core";
import fc from "fast-check";
import { type CacheModel, type KeyState, type KeyStep, reads } from "./cache-model.js";
import * as gen from "./cache-values.js";
import { docDelete, docGet, docSet, pathText, type Segment } from "./json-doc.js";
import { failsWith, type Observed, observed, returns, returnsBetween, show } from "./outcome.js";
import { StepCommand } from "./step-command.js";
import { expiryAfter, timed, type Window } from "./window.js";

/** The stores a cache history runs on: one per namespace, all on the same backend. */
export interface CacheWorld {
  caches: Cache[];
}

type Command = StepCommand<CacheModel, CacheWorld>;

const optionsOf = (ttl: number | undefined) => (ttl === undefined ? undefined : { ttl });
const ttlText = (ttl: number | undefined) => (ttl === undefined ? "" : `, { ttl: ${ttl} }`);

function written(value: unknown, ttl: number | undefined, window: Window): KeyState {
  return { value: structuredClone(value), expiry: ttl === undefined ? null : expiryAfter(window, ttl) };
}

const keep = (state: KeyState, value: unknown): KeyState => ({ value, expiry: state?.expiry ?? null });

/** A counter the contract lets incr add to: a safe integer stored as decimal text. */
const isCounter = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && !Object.is(value, -0) && Math.abs(value) < 1e16;

/** Runs one call on namespace `ns` and checks each touched key against the model. */
async function step(
  model: CacheModel,
  call: string,
  act: () => Promise<unknown>,
  check: (seen: Observed, window: Window) => void,
): Promise<void> {
  const { settled, window } = await timed(act);
  const seen = observed(settled);
  check(seen, window);
  model.history.record(call, seen);
}

/** A single-key call: the model gives the outcome and next state for each state the key may be in. */
function keyCommand(
  ns: number,
  key: string,
  text: string,
  act: (cache: Cache) => Promise<unknown>,
  effect: (state: KeyState, window: Window) => KeyStep,
): Command {
  const call = `[ns${ns}] ${text}`;
  return new StepCommand(call, (model, world) =>
    step(
      model,
      call,
      () => act(world.caches[ns] as Cache),
      (seen, window) => model.apply(ns, key, window, seen, call, (state) => effect(state, window)),
    ),
  );
}

const k = (key: string) => JSON.stringify(key);

function setCommand(ns: number, key: string, value: unknown, ttl: number | undefined): Command {
  return keyCommand(
    ns,
    key,
    `set(${k(key)}, ${show(value)}${ttlText(ttl)})`,
    (cache) => cache.set(key, value, optionsOf(ttl)),
    (_state, window) => ({ expect: returns(undefined), next: written(value, ttl, window) }),
  );
}

function getCommand(ns: number, key: string): Command {
  return keyCommand(
    ns,
    key,
    `get(${k(key)})`,
    (cache) => cache.get(key),
    (state) => reads(state),
  );
}

function hasCommand(ns: number, key: string): Command {
  return keyCommand(
    ns,
    key,
    `has(${k(key)})`,
    (cache) => cache.has(key),
    (state) => ({
      expect: returns(state !== undefined),
      next: state,
    }),
  );
}

function ttlCommand(ns: number, key: string): Command {
  return keyCommand(
    ns,
    key,
    `ttl(${k(key)})`,
    (cache) => cache.ttl(key),
    (state, window) => {
      if (state === undefined) return { expect: returns(undefined), next: state };
      if (state.expiry === null) return { expect: returns(Number.POSITIVE_INFINITY), next: state };
      // Never above the ttl that set it, and within the bounds of where the expiry can be.
      const { lo, hi, ttl } = state.expiry;
      const upper = Math.min(ttl, hi - window.start + 1);
      return { expect: returnsBetween(Math.max(0, Math.min(upper, lo - window.end - 1)), upper), next: state };
    },
  );
}

function deleteCommand(ns: number, key: string): Command {
  return keyCommand(
    ns,
    key,
    `delete(${k(key)})`,
    (cache) => cache.delete(key),
    (state) => ({
      expect: returns(state !== undefined),
      next: undefined,
    }),
  );
}

function incrCommand(ns: number, key: string, by: number, ttl: number | undefined): Command {
  return keyCommand(
    ns,
    key,
    `incr(${k(key)}, ${by}${ttlText(ttl)})`,
    (cache) => cache.incr(key, by, optionsOf(ttl)),
    (state, window) => {
      if (state === undefined) return { expect: returns(by), next: written(by, ttl, window) };
      if (!isCounter(state.value)) return { expect: failsWith("ERR_SERIALIZATION"), next: state };
      return { expect: returns(state.value + by), next: keep(state, state.value + by) };
    },
  );
}

function addCommand(ns: number, key: string, value: unknown, ttl: number | undefined): Command {
  return keyCommand(
    ns,
    key,
    `add(${k(key)}, ${show(value)}${ttlText(ttl)})`,
    (cache) => cache.add(key, value, optionsOf(ttl)),
    (state, window) =>
      state === undefined
        ? { expect: returns(true), next: written(value, ttl, window) }
        : { expect: returns(false), next: state },
  );
}

function getOrSetCommand(ns: number, key: string, value: unknown, ttl: number | undefined): Command {
  return keyCommand(
    ns,
    key,
    `getOrSet(${k(key)}, () => ${show(value)}${ttlText(ttl)})`,
    (cache) => cache.getOrSet(key, () => structuredClone(value), optionsOf(ttl)),
    (state, window) =>
      state === undefined ? { expect: returns(value), next: written(value, ttl, window) } : reads(state),
  );
}

function jsonGetCommand(ns: number, key: string, segments: Segment[], path: string): Command {
  return keyCommand(
    ns,
    key,
    `json.get(${k(key)}, ${k(path)})`,
    (cache) => cache.json.get(key, path),
    (state) => reads(state, (doc) => docGet(doc, segments)),
  );
}

function jsonSetCommand(
  ns: number,
  key: string,
  segments: Segment[],
  path: string,
  value: unknown,
  ttl: number | undefined,
): Command {
  return keyCommand(
    ns,
    key,
    `json.set(${k(key)}, ${k(path)}, ${show(value)}${ttlText(ttl)})`,
    (cache) => cache.json.set(key, path, value, optionsOf(ttl)),
    (state, window) => {
      const doc = docSet(state?.value, segments, structuredClone(value));
      if (doc === "invalid") return { expect: failsWith("ERR_INVALID_ARGUMENT"), next: state };
      // The contract: a new document takes the ttl given; an existing one keeps its own.
      return { expect: returns(undefined), next: state === undefined ? written(doc, ttl, window) : keep(state, doc) };
    },
  );
}

function jsonDelCommand(ns: number, key: string, segments: Segment[], path: string): Command {
  return keyCommand(
    ns,
    key,
    `json.del(${k(key)}, ${k(path)})`,
    (cache) => cache.json.del(key, path),
    (state) => {
      if (state === undefined) return { expect: returns(false), next: state };
      if (segments.length === 0) return { expect: returns(true), next: undefined };
      const doc = docDelete(state.value, segments);
      return doc === "absent"
        ? { expect: returns(false), next: state }
        : { expect: returns(true), next: keep(state, doc) };
    },
  );
}

function getManyCommand(ns: number, keys: string[]): Command {
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

function setManyCommand(ns: number, entries: { key: string; value: unknown; ttl?: number }[]): Command {
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

function deleteManyCommand(ns: number, keys: string[]): Command {
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

function keysCommand(ns: number, prefix: string): Command {
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

function clearCommand(ns: number): Command {
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

function pauseCommand(ms: number): Command {
  const call = `pause(${ms} ms)`;
  return new StepCommand(call, async (model) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    model.history.record(call, { value: undefined });
  });
}

/** ttl() of every key the namespace may hold, as the history reached it. */
function ttlSweepCommand(ns: number): Command {
  return new StepCommand(`[ns${ns}] ttl(each key it may hold)`, async (model, world) => {
    for (const key of model.knownKeys(ns)) await ttlCommand(ns, key).run(model, world);
  });
}

/** The reads every history ends with, on every namespace: what each key holds, its ttl, and what keys() lists. */
export function finalChecks(namespaces: number): Command[] {
  return Array.from({ length: namespaces }, (_, ns) => [
    getManyCommand(ns, [...gen.KEY_POOL]),
    ttlSweepCommand(ns),
    keysCommand(ns, ""),
  ]).flat();
}

/** Every call of the cache contract, with arguments drawn so that keys, namespaces and paths collide. */
export function cacheCommands(namespaces: number): fc.Arbitrary<Command> {
  // The first namespace takes half the steps: the others are there to be disturbed.
  const ns = fc.oneof(fc.constant(0), fc.nat(namespaces - 1));
  const keys = fc.array(gen.key, { minLength: 1, maxLength: 4 });
  const json = fc.tuple(ns, gen.key, gen.path);
  const often = (arbitrary: fc.Arbitrary<Command>) => ({ arbitrary, weight: 4 });
  const sometimes = (arbitrary: fc.Arbitrary<Command>) => ({ arbitrary, weight: 2 });
  const rarely = (arbitrary: fc.Arbitrary<Command>) => ({ arbitrary, weight: 1 });
  return fc.oneof(
    often(fc.tuple(ns, gen.key, gen.value, gen.ttl).map(([n, key, v, t]) => setCommand(n, key, v, t))),
    often(fc.tuple(ns, gen.key).map(([n, key]) => getCommand(n, key))),
    sometimes(fc.tuple(ns, keys).map(([n, list]) => getManyCommand(n, list))),
    sometimes(
      fc
        .tuple(ns, fc.array(fc.record({ key: gen.key, value: gen.value, ttl: gen.ttl }), { maxLength: 3 }))
        .map(([n, entries]) =>
          setManyCommand(
            n,
            entries.map(({ key, value, ttl }) => (ttl === undefined ? { key, value } : { key, value, ttl })),
          ),
        ),
    ),
    sometimes(fc.tuple(ns, gen.key).map(([n, key]) => deleteCommand(n, key))),
    rarely(fc.tuple(ns, fc.array(gen.key, { maxLength: 4 })).map(([n, list]) => deleteManyCommand(n, list))),
    sometimes(fc.tuple(ns, gen.key).map(([n, key]) => hasCommand(n, key))),
    sometimes(fc.tuple(ns, gen.key).map(([n, key]) => ttlCommand(n, key))),
    sometimes(
      fc
        .tuple(ns, gen.key, fc.integer({ min: -2, max: 3 }), gen.ttl)
        .map(([n, key, by, t]) => incrCommand(n, key, by, t)),
    ),
    sometimes(fc.tuple(ns, gen.key, gen.value, gen.ttl).map(([n, key, v, t]) => addCommand(n, key, v, t))),
    rarely(fc.tuple(ns, gen.key, gen.value, gen.ttl).map(([n, key, v, t]) => getOrSetCommand(n, key, v, t))),
    often(
      fc
        .tuple(json, gen.value, gen.ttl)
        .map(([[n, key, p], v, t]) => jsonSetCommand(n, key, p.segments, pathText(p.segments, p.quoting), v, t)),
    ),
    sometimes(json.map(([n, key, p]) => jsonGetCommand(n, key, p.segments, pathText(p.segments, p.quoting)))),
    sometimes(json.map(([n, key, p]) => jsonDelCommand(n, key, p.segments, pathText(p.segments, p.quoting)))),
    sometimes(fc.tuple(ns, gen.prefix).map(([n, p]) => keysCommand(n, p))),
    rarely(ns.map((n) => clearCommand(n))),
    rarely(fc.constantFrom(5, 20, 50).map((ms) => pauseCommand(ms))),
  );
}
