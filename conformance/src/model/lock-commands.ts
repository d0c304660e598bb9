import type { Lease, Lock } from "@stowage/core";
import fc from "fast-check";
import { holdsDuring, judgeRelease, judgeTake, seenOf, trueOrFalse } from "./lock-judge.js";
import {
  driftAllowance,
  type LockModel,
  type LockWorld,
  localDeadline,
  localLiveness,
  type ModelLease,
} from "./lock-model.js";
import { type Expectation, failsWith, observed, returns, returnsBetween } from "./outcome.js";
import { pauseCommand, StepCommand } from "./step-command.js";
import { expiryAfter, liveness, timed } from "./window.js";

export type { LockWorld } from "./lock-model.js";

type Command = StepCommand<LockModel, LockWorld>;

/** Names that are prefixes of one another and hold the separators of key layouts. */
export const NAME_POOL = ["job", "job:1", "{job}"] as const;
const SHORT_LEASES = [30, 80] as const;
const LONG_LEASE = 60_000;

const n = (name: string) => JSON.stringify(name);

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
    const value = settled.ok ? (settled.value as Lease | undefined) : undefined;
    const seen = seenOf(settled);
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

function extendCommand(pick: number, ttl: number | undefined): Command {
  return onLease(`extend(${ttl ?? ""})`, pick, async (model, world, index, call) => {
    const lease = model.leases[index] as ModelLease;
    const { settled, window } = await timed(() => (world.leases[index] as Lease).extend(ttl));
    const seen = observed(settled);
    const { may, must } = holdsDuring(model, lease, window);
    const allowed = trueOrFalse(may, must);
    if (!allowed.some((e) => e.accepts(seen))) throw model.history.mismatch(call, seen, allowed);
    if (settled.ok && settled.value === true) {
      const length = ttl ?? lease.ttl;
      lease.expiry = expiryAfter(window, length);
      lease.local = localDeadline(window, length, driftAllowance(length));
    }
    model.history.record(call, seen);
  });
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
    const seen = seenOf(acquired.settled);
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
    const allowed = trueOrFalse(local !== "gone", local === "live");
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
      // A remaining time read from the backend may count from the start of the call: early by its length, never late.
      const lo = holder.expiry.lo - (window.end - window.start) - 2;
      const hi = holder.expiry.hi + 2;
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
