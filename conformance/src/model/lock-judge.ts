import type { Lease } from "@stowage/core";
import {
  driftAllowance,
  type LockModel,
  type LockWorld,
  localDeadline,
  localLiveness,
  type ModelLease,
} from "./lock-model.js";
import { type Expectation, type Observed, observed, returns } from "./outcome.js";
import { expiryAfter, liveness, type Settled, type Window } from "./window.js";

/** What the store answered, as the model compares it: a lease is shown by its token. */
export function seenOf(settled: Settled<unknown>): Observed {
  if (settled.ok && isLease(settled.value)) return { value: { lease: settled.value.token } };
  return observed(settled);
}

function isLease(value: unknown): value is Lease {
  return typeof value === "object" && value !== null && "token" in value && "release" in value;
}

const grants: Expectation = {
  accepts: (seen) => "value" in seen && typeof seen.value === "object" && seen.value !== null && "lease" in seen.value,
  text: "a lease",
};

/**
 * A grant or a refusal of `name` by a call in `window`, checked against who may hold it: never
 * granted while another lease is certainly live (on the backend, or as its holder sees it), the
 * token above every earlier one of the name, and never refused once the last lease certainly
 * ended — unless the call took half the ttl, which a quorum lock may judge too slow to be valid.
 */
export function judgeTake(
  model: LockModel,
  world: LockWorld,
  call: string,
  group: number,
  name: string,
  ttl: number,
  window: Window,
  seen: Observed,
  lease: Lease | undefined,
  refusal: Expectation,
  freed?: { by: number; waitMs: number },
): void {
  const state = model.name(group, name);
  const holder = state.holder;
  const backend = holder ? liveness(holder.expiry, window) : "gone";
  const local = holder ? localLiveness(holder.local, window) : "gone";
  // Freed by a release during this call: a refusal is allowed only when the release ended after the wait did.
  const freedLate = !holder && freed !== undefined && freed.by >= window.start + freed.waitMs;
  const allowed: Expectation[] = [];
  if (backend !== "live" && local !== "live") allowed.push(grants);
  if (backend !== "gone" || freedLate || window.end - window.start >= ttl / 2) allowed.push(refusal);
  if (!allowed.some((e) => e.accepts(seen))) {
    const why = holder
      ? `last lease: token ${holder.token}, backend expiry in [${holder.expiry.lo}, ${holder.expiry.hi}], call ran in [${window.start}, ${window.end}]`
      : "no lease was ever granted";
    throw model.history.mismatch(call, seen, allowed, why);
  }
  if (!lease) return;
  if (lease.token <= state.maxToken) {
    throw model.history.mismatch(call, seen, [], `fencing token ${lease.token} is not above ${state.maxToken}`);
  }
  const granted: ModelLease = {
    group,
    name,
    token: lease.token,
    ttl,
    expiry: expiryAfter(window, ttl),
    local: localDeadline(window, ttl, driftAllowance(ttl)),
    released: false,
  };
  state.maxToken = lease.token;
  state.holder = granted;
  model.leases.push(granted);
  world.leases.push(lease);
}

/** Whether an extend or release by `lease` during `window` may, and must, find it still held. */
export function holdsDuring(model: LockModel, lease: ModelLease, window: Window): { may: boolean; must: boolean } {
  if (lease.released) return { may: false, must: false };
  const isHolder = model.name(lease.group, lease.name).holder === lease;
  const backend = isHolder ? liveness(lease.expiry, window) : "gone";
  const local = localLiveness(lease.local, window);
  return {
    may: isHolder && backend !== "gone" && local !== "gone",
    must: isHolder && backend === "live" && local === "live",
  };
}

export function trueOrFalse(may: boolean, must: boolean): Expectation[] {
  return [...(may ? [returns(true)] : []), ...(must ? [] : [returns(false)])];
}

/** Checks what release() of lease `index` answered; true when it cleared the name's holder. */
export function judgeRelease(model: LockModel, index: number, window: Window, seen: Observed, call: string): boolean {
  const lease = model.leases[index] as ModelLease;
  const { may, must } = holdsDuring(model, lease, window);
  const allowed = trueOrFalse(may, must);
  if (!allowed.some((e) => e.accepts(seen))) throw model.history.mismatch(call, seen, allowed);
  const state = model.name(lease.group, lease.name);
  // The token's own record goes, expired or not; a newer holder's stays.
  const cleared = !lease.released && state.holder === lease;
  if (cleared) state.holder = null;
  lease.released = true;
  model.history.record(call, seen);
  return cleared;
}
