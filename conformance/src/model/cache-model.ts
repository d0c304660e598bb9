import type { History } from "./history.js";
import { type Expectation, type Observed, returns } from "./outcome.js";
import { type Expiry, liveness, type Window } from "./window.js";

/** A live entry as the model holds it; undefined is an absent key. */
export interface ModelEntry {
  value: unknown;
  expiry: Expiry | null;
}

export type KeyState = ModelEntry | undefined;

/** What one step does to one key, for one state the store may have seen it in. */
export interface KeyStep {
  expect: Expectation;
  next: KeyState;
}

/**
 * The plain in-memory model of several cache namespaces. Near an expiry the model cannot know
 * whether the store saw an entry live or gone, so each key holds every state it may be in
 * (usually one); a step keeps the states whose outcome matches what the store answered.
 */
export class CacheModel {
  readonly #namespaces: Map<string, KeyState[]>[];
  readonly history: History;

  constructor(namespaces: number, history: History) {
    this.#namespaces = Array.from({ length: namespaces }, () => new Map());
    this.history = history;
  }

  #states(ns: number, key: string): KeyState[] {
    return this.#namespaces[ns]?.get(key) ?? [undefined];
  }

  /** Every key the namespace may hold (the ones ever written and not yet known to be absent). */
  knownKeys(ns: number): string[] {
    return [...(this.#namespaces[ns]?.keys() ?? [])];
  }

  /**
   * Applies one step to `key`: `effect` gives the outcome and next state for each state the
   * store may have seen during `window`; the states whose outcome matches `seen` survive.
   */
  apply(ns: number, key: string, window: Window, seen: Observed, call: string, effect: (state: KeyState) => KeyStep) {
    const steps = this.seenDuring(ns, key, window).map((state) => ({ state, step: effect(state) }));
    const kept = steps.filter(({ step }) => step.expect.accepts(seen));
    if (kept.length === 0) {
      throw this.history.mismatch(
        call,
        seen,
        steps.map(({ step }) => step.expect),
        `key ${JSON.stringify(key)}`,
      );
    }
    this.#set(
      ns,
      key,
      kept.map(({ state, step }) => copiedDuring(state, step.next, window)),
    );
  }

  /** The states `key` may have been seen in during `window`: an entry near its expiry may be either. */
  seenDuring(ns: number, key: string, window: Window): KeyState[] {
    return this.#states(ns, key).flatMap((state): KeyState[] => {
      if (state === undefined) return [undefined];
      const live = liveness(state.expiry, window);
      return live === "live" ? [state] : live === "gone" ? [undefined] : [state, undefined];
    });
  }

  /** Sets the key to one known state. */
  put(ns: number, key: string, state: KeyState): void {
    this.#set(ns, key, [state]);
  }

  /** Every key of the namespace becomes absent. */
  clear(ns: number): void {
    this.#namespaces[ns]?.clear();
  }

  #set(ns: number, key: string, states: KeyState[]): void {
    const unique = new Map(states.map((state) => [stateId(state), state]));
    const namespace = this.#namespaces[ns] as Map<string, KeyState[]>;
    if (unique.size === 1 && unique.has("absent")) namespace.delete(key);
    else namespace.set(key, [...unique.values()]);
  }
}

/** An entry that kept its expiry through a call: the call may have copied the expiry, early by its own length. */
function copiedDuring(before: KeyState, after: KeyState, window: Window): KeyState {
  if (!after?.expiry || after.expiry !== before?.expiry) return after;
  const readLo = Math.min(after.expiry.readLo, after.expiry.lo - (window.end - window.start));
  return { ...after, expiry: { ...after.expiry, readLo } };
}

/** A reading of a key: the value it shows (undefined when absent), the state unchanged. */
export function reads(state: KeyState, show: (value: unknown) => unknown = (value) => value): KeyStep {
  return { expect: returns(state === undefined ? undefined : show(state.value)), next: state };
}

function stateId(state: KeyState): string {
  if (state === undefined) return "absent";
  return JSON.stringify([canonical(state.value), state.expiry]);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
