import type { Lease, Lock } from "@stowage/core";
import type { History } from "./history.js";
import type { Expiry, Window } from "./window.js";

/** The lock instances a history runs on, and every lease they granted, in order. */
export interface LockWorld {
  locks: Lock[];
  leases: Lease[];
}

/** When a lease's holder stops seeing it as held, on its own monotonic clock. */
export interface LocalDeadline {
  lo: number;
  hi: number;
}

/** A lease as the model knows it. */
export interface ModelLease {
  /** Which name space of locks (instances on one namespace share one). */
  group: number;
  name: string;
  token: bigint;
  /** The ttl it was granted with: what extend() renews it for when given none. */
  ttl: number;
  /** Where the backend's expiry of this lease can lie (wall clock). */
  expiry: Expiry;
  local: LocalDeadline;
  released: boolean;
}

/** One lock name of one namespace: the highest token handed out, and the lease the backend may still hold. */
export interface NameState {
  maxToken: bigint;
  holder: ModelLease | null;
}

/**
 * A quorum lock (redlock) takes up to this much off a lease's local validity for clock drift
 * (its default is 1% + 2 ms); the model allows 5% + 5 ms so that `held` is judged leniently and
 * mutual exclusion is judged only where it is certain.
 */
export function driftAllowance(ttl: number): number {
  return Math.ceil(ttl * 0.05) + 5;
}

/** The local deadline of a lease granted or extended by a call in `window` for `ttl`. */
export function localDeadline(window: Window, ttl: number, drift: number): LocalDeadline {
  return { lo: window.monoStart + ttl - drift, hi: window.monoEnd + ttl };
}

export function localLiveness(deadline: LocalDeadline, window: Window): "live" | "gone" | "either" {
  if (deadline.lo > window.monoEnd) return "live";
  if (deadline.hi <= window.monoStart) return "gone";
  return "either";
}

/** The plain model of lock names over several lock instances: who may hold each name, and the tokens seen. */
export class LockModel {
  readonly leases: ModelLease[] = [];
  readonly #names = new Map<string, NameState>();
  readonly history: History;
  /** Instance i works on name space groups[i]. */
  readonly groups: readonly number[];

  constructor(groups: readonly number[], history: History) {
    this.groups = groups;
    this.history = history;
  }

  name(group: number, name: string): NameState {
    const id = `${group}\0${name}`;
    let state = this.#names.get(id);
    if (!state) {
      state = { maxToken: 0n, holder: null };
      this.#names.set(id, state);
    }
    return state;
  }
}
