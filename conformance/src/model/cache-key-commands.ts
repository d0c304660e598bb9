import type { Cache } from "@stowage/core";
import { type CacheModel, type KeyState, type KeyStep, reads } from "./cache-model.js";
import { docDelete, docGet, docSet, type Segment } from "./json-doc.js";
import { failsWith, type Observed, observed, returns, returnsBetween, show } from "./outcome.js";
import { StepCommand } from "./step-command.js";
import { expiryAfter, timed, type Window } from "./window.js";

/** The stores a cache history runs on: one per namespace, all on the same backend. */
export interface CacheWorld {
  caches: Cache[];
}

export type CacheCommand = StepCommand<CacheModel, CacheWorld>;
type Command = CacheCommand;

const optionsOf = (ttl: number | undefined) => (ttl === undefined ? undefined : { ttl });
export const ttlText = (ttl: number | undefined) => (ttl === undefined ? "" : `, { ttl: ${ttl} }`);

export function written(value: unknown, ttl: number | undefined, window: Window): KeyState {
  return { value: structuredClone(value), expiry: ttl === undefined ? null : expiryAfter(window, ttl) };
}

const keep = (state: KeyState, value: unknown): KeyState => ({ value, expiry: state?.expiry ?? null });

/** A counter the contract lets incr add to: a safe integer stored as decimal text. */
const isCounter = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && !Object.is(value, -0) && Math.abs(value) < 1e16;

/** Runs one call, checks what it answered against the model, and adds it to the history. */
export async function step(
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
export function keyCommand(
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

export const k = (key: string) => JSON.stringify(key);

export function setCommand(ns: number, key: string, value: unknown, ttl: number | undefined): Command {
  return keyCommand(
    ns,
    key,
    `set(${k(key)}, ${show(value)}${ttlText(ttl)})`,
    (cache) => cache.set(key, value, optionsOf(ttl)),
    (_state, window) => ({ expect: returns(undefined), next: written(value, ttl, window) }),
  );
}

export function getCommand(ns: number, key: string): Command {
  return keyCommand(
    ns,
    key,
    `get(${k(key)})`,
    (cache) => cache.get(key),
    (state) => reads(state),
  );
}

export function hasCommand(ns: number, key: string): Command {
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

export function ttlCommand(ns: number, key: string): Command {
  return keyCommand(
    ns,
    key,
    `ttl(${k(key)})`,
    (cache) => cache.ttl(key),
    (state, window) => {
      if (state === undefined) return { expect: returns(undefined), next: state };
      if (state.expiry === null) return { expect: returns(Number.POSITIVE_INFINITY), next: state };
      // Never above the ttl that set it nor past where the expiry can be; low by at most the calls that may have copied it.
      const { readLo, hi, ttl } = state.expiry;
      const upper = Math.min(ttl, hi - window.start + 1);
      const lower = readLo - window.end - (window.end - window.start) - 1;
      return { expect: returnsBetween(Math.max(0, Math.min(upper, lower)), upper), next: state };
    },
  );
}

export function deleteCommand(ns: number, key: string): Command {
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

export function incrCommand(ns: number, key: string, by: number, ttl: number | undefined): Command {
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

export function addCommand(ns: number, key: string, value: unknown, ttl: number | undefined): Command {
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

export function getOrSetCommand(ns: number, key: string, value: unknown, ttl: number | undefined): Command {
  return keyCommand(
    ns,
    key,
    `getOrSet(${k(key)}, () => ${show(value)}${ttlText(ttl)})`,
    (cache) => cache.getOrSet(key, () => structuredClone(value), optionsOf(ttl)),
    (state, window) =>
      state === undefined ? { expect: returns(value), next: written(value, ttl, window) } : reads(state),
  );
}

export function jsonGetCommand(ns: number, key: string, segments: Segment[], path: string): Command {
  return keyCommand(
    ns,
    key,
    `json.get(${k(key)}, ${k(path)})`,
    (cache) => cache.json.get(key, path),
    (state) => reads(state, (doc) => docGet(doc, segments)),
  );
}

export function jsonSetCommand(
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

export function jsonDelCommand(ns: number, key: string, segments: Segment[], path: string): Command {
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
