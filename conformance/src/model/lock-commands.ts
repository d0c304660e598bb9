import type { Lease, Lock } from "@stowage/core";
import fc from "fast-check";
import { driftAllowance, type LockModel, localDeadline, localLiveness, type ModelLease } from "./lock-model.js";
import { type Expectation, failsWith, type Observed, observed, returns, returnsBetween } from "./outcome.js";
import { StepCommand } from "./step-command.js";
import { expiryAfter, liveness, timed, type Window } from "./window.js";

/** The lock instances a history runs on, and every lease they granted, in order. */
export interface LockWorld {
  locks: Lock[];
  leases: Lease[];
}

type Command = StepCommand<LockModel, LockWorld>;

/** Names that are prefixes of one another and hold the separators of key layouts. */
export const NAME_POOL = ["job", "job:1", "{job}"] as const;
const SHORT_LEASES = [30, 80] as const;
const LONG_LEASE = 60_000;

const n = (name: string) => JSON.stringify(name);

/** What the store answered, as the model compares it: a lease is shown by its token. */
function seenOf(value: unknown, settledOk: boolean, error: unknown): Observed {
  if (!settledOk) return observed({ ok: false, error });
  if (value && typeof value === "object" && "token" in value && "release" in value) {
    return { value: { lease: (value as Lease).token } };
  }
  return { value };
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
function judgeTake(
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

function takeCommand(instance: number, name: string, ttl: number, waitMs: number | "try"): Command {
  const call =
    waitMs === "try"
      ? `[lock${instance}] tryAcquire(${n(name)}, { ttl: ${ttl} })`
      : `[lock${instance}] acquire(${n(name)}, { ttl: ${ttl}, waitMs: ${waitMs} })`;
  return new StepCommand(call, async (model, world) => {
    const lock = world.locks[instance] as Lock;
    const { settled, window } = await timed(() =>
      waitMs === "try" ? lock.tryAcquire(name, { ttl }) : lock.acquire(name, { ttl, waitMs, retryDelayMs: 5 }),
    );
    const value = settled.ok ? settled.value : undefined;
    const seen = seenOf(value, settled.ok, settled.ok ? undefined : settled.error);
    const refusal = waitMs === "try" ? returns(undefined) : failsWith("ERR_LOCK_TIMEOUT");
    judgeTake(model, world, call, model.groups[instance] as number, name, ttl, window, seen, value, refusal);
    model.history.record(call, seen);
  });
}

/** A step on the `pick`-th lease granted so far (modulo their number); a no-op before the first grant. */
function onLease(
  text: string,
  pick: number,
  run: (model: LockModel, world: LockWorld, index: number, call: string) => Promise<void>,
): Command {
  return new StepCommand(`lease#${pick}.${text}`, async (model, world) => {
    if (model.leases.length === 0) {
      model.history.record(`lease#${pick}.${text}`, { value: "(no lease granted yet)" });
      return;
    }
    const index = pick % model.leases.length;
    const lease = model.leases[index] as ModelLease;
    await run(model, world, index, `lease#${index}(${n(lease.name)}, token ${lease.token}).${text}`);
  });
}

/** Whether an extend or release by `lease` during `window` may, and must, find it still held. */
function holdsDuring(model: LockModel, lease: ModelLease, window: Window): { may: boolean; must: boolean } {
  if (lease.released) return { may: false, must: false };
  const isHolder = model.name(lease.group, lease.name).holder === lease;
  const backend = isHolder ? liveness(lease.expiry, window) : "gone";
  const local = localLiveness(lease.local, window);
  return {
    may: isHolder && backend !== "gone" && local !== "gone",
    must: isHolder && backend === "live" && local === "live",
  };
}

function boolean(may: boolean, must: boolean): Expectation[] {
  return [...(may ? [returns(true)] : []), ...(must ? [] : [returns(false)])];
}

function extendCommand(pick: number, ttl: number | undefined): Command {
  return onLease(`extend(${ttl ?? ""})`, pick, async (model, world, index, call) => {
    const lease = model.leases[index] as ModelLease;
    const { settled, window } = await timed(() => (world.leases[index] as Lease).extend(ttl));
    const seen = observed(settled);
    const { may, must } = holdsDuring(model, lease, window);
    const allowed = boolean(may, must);
    if (!allowed.some((e) => e.accepts(seen))) throw model.history.mismatch(call, seen, allowed);
    if (settled.ok && settled.value === true) {
      const length = ttl ?? lease.ttl;
      lease.expiry = expiryAfter(window, length);
      lease.local = localDeadline(window, length, driftAllowance(length));
    }
    model.history.record(call, seen);
  });
}

/** Checks what release() of lease `index` answered; true when it cleared the name's holder. */
function judgeRelease(model: LockModel, index: number, window: Window, seen: Observed, call: string): boolean {
  const lease = model.leases[index] as ModelLease;
  const { may, must } = holdsDuring(model, lease, window);
  const allowed = boolean(may, must);
  if (!allowed.some((e) => e.accepts(seen))) throw model.history.mismatch(call, seen, allowed);
  const state = model.name(lease.group, lease.name);
  // The token's own record goes, expired or not; a newer holder's stays.
  const cleared = !lease.released && state.holder === lease;
  if (cleared) state.holder = null;
  lease.released = true;
  model.history.record(call, seen);
  return cleared;
}

function releaseCommand(pick: number): Command {
  return onLease("release()", pick, async (model, world, index, call) => {
    const { settled, window } = await timed(() => (world.leases[index] as Lease).release());
    judgeRelease(model, index, window, observed(settled), call);
  });
}

const HANDOFF_WAIT_MS = 200;
const HANDOFF_DELAY_MS = 15;

/**
 * An acquire on an instance of the lease's namespace that starts waiting, then the lease is
 * released: the waiter must get the name (the release wakes it, or its next poll finds it free)
 * whenever the release ended before the wait could have.
 */
function handoffCommand(pick: number, waiter: number, ttl: number): Command {
  const text = `release() ${HANDOFF_DELAY_MS} ms into an acquire(same name, { ttl: ${ttl}, waitMs: ${HANDOFF_WAIT_MS} }) on instance ~${waiter}`;
  return onLease(text, pick, async (model, world, index, call) => {
    const lease = model.leases[index] as ModelLease;
    const peers = model.groups.flatMap((group, i) => (group === lease.group ? [i] : []));
    const instance = peers[waiter % peers.length] as number;
    const acquiring = timed(() =>
      (world.locks[instance] as Lock).acquire(lease.name, { ttl, waitMs: HANDOFF_WAIT_MS, retryDelayMs: 5 }),
    );
    await new Promise((resolve) => setTimeout(resolve, HANDOFF_DELAY_MS));
    const releasing = await timed(() => (world.leases[index] as Lease).release());
    const acquired = await acquiring;
    const cleared = judgeRelease(model, index, releasing.window, observed(releasing.settled), `${call} [release]`);
    const value = acquired.settled.ok ? acquired.settled.value : undefined;
    const seen = seenOf(value, acquired.settled.ok, acquired.settled.ok ? undefined : acquired.settled.error);
    const waitCall = `${call} [acquire on lock${instance}]`;
    const freed = cleared ? { by: releasing.window.end, waitMs: HANDOFF_WAIT_MS } : undefined;
    judgeTake(
      model,
      world,
      waitCall,
      lease.group,
      lease.name,
      ttl,
      acquired.window,
      seen,
      value,
      failsWith("ERR_LOCK_TIMEOUT"),
      freed,
    );
    model.history.record(waitCall, seen);
  });
}

function heldCommand(pick: number): Command {
  return onLease("held", pick, async (model, world, index, call) => {
    const lease = model.leases[index] as ModelLease;
    const { settled, window } = await timed(async () => (world.leases[index] as Lease).held);
    const seen = observed(settled);
    const local = lease.released ? "gone" : localLiveness(lease.local, window);
    const allowed = boolean(local !== "gone", local === "live");
    if (!allowed.some((e) => e.accepts(seen))) throw model.history.mismatch(call, seen, allowed);
    model.history.record(call, seen);
  });
}

function inspectCommand(instance: number, name: string): Command {
  const call = `[lock${instance}] inspect(${n(name)})`;
  return new StepCommand(call, async (model, world) => {
    const { settled, window } = await timed(() => (world.locks[instance] as Lock).inspect(name));
    const seen = observed(settled);
    const holder = model.name(model.groups[instance] as number, name).holder;
    const backend = holder ? liveness(holder.expiry, window) : "gone";
    const allowed: Expectation[] = [];
    if (backend !== "gone" && holder) {
      const lo = holder.expiry.lo - 2;
      const hi = holder.expiry.hi + (window.end - window.start) + 2;
      allowed.push({
        accepts: (s) =>
          "value" in s &&
          typeof s.value === "object" &&
          s.value !== null &&
          (s.value as { token: unknown }).token === holder.token &&
          returnsBetween(lo, hi).accepts({ value: (s.value as { expiresAt: unknown }).expiresAt }),
        text: `{ token: ${holder.token}n, expiresAt in [${lo}, ${hi}] }`,
      });
    }
    if (backend !== "live") allowed.push(returns(undefined));
    if (!allowed.some((e) => e.accepts(seen))) throw model.history.mismatch(call, seen, allowed);
    model.history.record(call, seen);
  });
}

function pauseCommand(ms: number): Command {
  const call = `pause(${ms} ms)`;
  return new StepCommand(call, async (model) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    model.history.record(call, { value: undefined });
  });
}

/** Releases every lease a history left held, so the next history starts free (and nothing stays behind). */
export async function releaseAll(world: LockWorld): Promise<void> {
  await Promise.allSettled(world.leases.map((lease) => lease.release()));
}

/** Every call of the lock contract, on a few names and instances, with leases short and long. */
export function lockCommands(instances: number): fc.Arbitrary<Command> {
  const instance = fc.nat(instances - 1);
  const name = fc.constantFrom(...NAME_POOL);
  const leaseTtl = fc.oneof(
    { arbitrary: fc.constantFrom(...SHORT_LEASES), weight: 2 },
    { arbitrary: fc.constant(LONG_LEASE), weight: 1 },
  );
  const pick = fc.nat(50);
  return fc.oneof(
    { arbitrary: fc.tuple(instance, name, leaseTtl).map(([i, nm, t]) => takeCommand(i, nm, t, "try")), weight: 4 },
    {
      arbitrary: fc
        .tuple(instance, name, leaseTtl, fc.constantFrom(0, 25))
        .map(([i, nm, t, wait]) => takeCommand(i, nm, t, wait)),
      weight: 3,
    },
    {
      arbitrary: fc
        .tuple(pick, fc.option(fc.constantFrom(...SHORT_LEASES, LONG_LEASE), { nil: undefined }))
        .map(([p, t]) => extendCommand(p, t)),
      weight: 2,
    },
    { arbitrary: pick.map((p) => releaseCommand(p)), weight: 3 },
    {
      arbitrary: fc.tuple(pick, fc.nat(2), leaseTtl).map(([p, w, t]) => handoffCommand(p, w, t)),
      weight: 1,
    },
    { arbitrary: pick.map((p) => heldCommand(p)), weight: 1 },
    { arbitrary: fc.tuple(instance, name).map(([i, nm]) => inspectCommand(i, nm)), weight: 2 },
    { arbitrary: fc.constantFrom(10, 40, 100).map((ms) => pauseCommand(ms)), weight: 1 },
  );
}
