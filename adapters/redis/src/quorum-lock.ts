import { randomBytes } from "node:crypto";
import { BackendUnavailableError, type LeaseGrant, type LockDriver, monotonicNow, wallNow } from "@stowage/core";
import type { Redis } from "ioredis";
import type { KeyLayout } from "./key-layout.js";
import type { WaitPlace } from "./lock.js";
import { type LockWakes, wakeKey } from "./lock-wakes.js";
import {
  lockExtend,
  lockInspect,
  lockLeaveQueue,
  lockReleaseWake,
  quorumClaim,
  quorumCommit,
} from "./scripts/lock-scripts.js";
import { runScript } from "./scripts/lua-script.js";

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Redlock over independent primaries, written here rather than with the redlock package (or
 * @sesamecare-oss/redlock): their lock value is a random string, and a fencing token that
 * rises strictly needs a second phase neither offers. Phase 1 claims the name on every primary
 * and reads its counter; the token is the highest counter of the majority + 1; phase 2 writes
 * it back to that majority. Any two majorities share a primary, so the next token is larger.
 *
 * Waiters queue on every primary as on one server (lock-scripts.ts), but a place's score is the
 * waiter's own arrival (this client's wall clock in µs at its first attempt of the wait, kept until
 * it is granted or stops), the same on every primary: all primaries then order waiters alike and
 * name the same head, who can win a majority. (With each server's own clock three primaries
 * could each put a different waiter first and nobody would win: a deadlock.) A place missing on
 * one primary (it restarted, a write was lost) comes back with the same score at the next attempt.
 * A release wakes the head on each primary; the waiter listens on each.
 */
export class QuorumLockDriver implements LockDriver {
  readonly #primaries: readonly Redis[];
  readonly #layout: KeyLayout;
  readonly #driftFactor: number;
  readonly #quorum: number;
  readonly #wakes: LockWakes;
  /** The place length core asked for last (its WAITER_PLACE_MS); waits are cut to half of it. */
  #placeMs = 1000;
  /** Each waiting name's arrival score (µs text), the same on every primary for the whole wait. */
  readonly #arrivals = new Map<string, string>();
  #lastArrival = 0;

  constructor(primaries: readonly Redis[], layout: KeyLayout, driftFactor: number, wakes: LockWakes) {
    this.#primaries = primaries;
    this.#layout = layout;
    this.#driftFactor = driftFactor;
    this.#quorum = Math.floor(primaries.length / 2) + 1;
    this.#wakes = wakes;
  }

  #queueKeys(name: string): string[] {
    return [this.#layout.leaseKey(name), this.#layout.queueKey(name), this.#layout.queueDeadlineKey(name)];
  }

  /** Releases `value` (a token) on every primary, waking each one's queue head. */
  #releaseEverywhere(name: string, value: string): Promise<Outcome<unknown>[]> {
    return this.#releaseOn(this.#primaries, name, value, false);
  }

  /**
   * Releases `value` (a token or a claim id) on `primaries`, waking each one's queue head, unless
   * that is this waiter giving back its own claim (`skipSelf`: woken, it would retry at once while
   * the name is still held elsewhere).
   */
  #releaseOn(primaries: readonly Redis[], name: string, value: string, skipSelf: boolean): Promise<Outcome<unknown>[]> {
    const keys = this.#queueKeys(name);
    const args = [value, this.#wakes.channelPrefix, this.#wakes.dropSilent, skipSelf ? this.#wakes.address : ""];
    return Promise.all(primaries.map((primary) => settle(runScript(primary, lockReleaseWake, keys, args))));
  }

  #arrival(name: string): string {
    let arrival = this.#arrivals.get(name);
    if (arrival === undefined) {
      // Strictly rising in this process, so two of its waits never tie.
      this.#lastArrival = Math.max(Math.floor(wallNow() * 1000), this.#lastArrival + 1);
      arrival = String(this.#lastArrival);
      this.#arrivals.set(name, arrival);
    }
    return arrival;
  }

  #onEach<T>(run: (primary: Redis) => Promise<T>): Promise<Outcome<T>[]> {
    return Promise.all(this.#primaries.map((primary) => settle(run(primary))));
  }

  #unavailable(what: string, outcomes: Outcome<unknown>[]): BackendUnavailableError {
    const failures = outcomes.filter((o): o is { ok: false; error: unknown } => !o.ok);
    const first = failures[0]?.error;
    return new BackendUnavailableError(
      `lock ${what}: only ${outcomes.length - failures.length} of ${outcomes.length} redlock primaries answered, ` +
        `${this.#quorum} are needed: ${(first as Error | undefined)?.message ?? "unknown error"}`,
      { cause: first },
    );
  }

  async tryAcquire(name: string, ttlMs: number, wait?: WaitPlace): Promise<LeaseGrant | undefined> {
    const placeMs = wait ? Math.max(0, Math.ceil(wait.placeMs)) : 0;
    if (placeMs > 0) this.#placeMs = placeMs;
    // As on one server (lock.ts): no subscriber until a name is found taken, and none missing at a place's first join.
    if (placeMs > 0 && !this.#wakes.started) {
      const grant = await this.#attempt(name, ttlMs, 0);
      if (grant) return grant;
    }
    if (placeMs > 0) await this.#wakes.ready();
    return this.#attempt(name, ttlMs, placeMs);
  }

  async #attempt(name: string, ttlMs: number, placeMs: number): Promise<LeaseGrant | undefined> {
    const started = monotonicNow();
    const [lease, queue, deadlines] = this.#queueKeys(name) as [string, string, string];
    const keys = [lease, this.#layout.fenceKey(name), queue, deadlines];
    const claimId = `claim:${randomBytes(12).toString("hex")}`;
    const address = this.#wakes.address;
    const arrival = placeMs > 0 ? this.#arrival(name) : "";
    const claimArgs = [ttlMs, claimId, address, placeMs, arrival, this.#wakes.channelPrefix, this.#wakes.dropSilent];
    const claims = await this.#onEach(
      (primary) => runScript(primary, quorumClaim, keys, claimArgs) as Promise<string | null>,
    );
    const claimed = claims.flatMap((outcome, i) =>
      outcome.ok && outcome.value !== null
        ? [{ primary: this.#primaries[i] as Redis, counter: BigInt(outcome.value) }]
        : [],
    );
    const answered = claims.filter((outcome) => outcome.ok).length;
    // Every primary that said yes or did not answer (a claim whose answer timed out may still have
    // landed); one that answered no holds no claim of ours. A waiter polling a held name then costs
    // one script per primary, not two.
    const holding = this.#primaries.filter((_, i) => {
      const outcome = claims[i] as Outcome<string | null>;
      return !outcome.ok || outcome.value !== null;
    });
    const giveBack = () => this.#releaseOn(holding, name, claimId, true);
    if (claimed.length < this.#quorum) {
      await giveBack();
      if (answered < this.#quorum) throw this.#unavailable("acquire", claims);
      return undefined;
    }
    let highest = 0n;
    for (const { counter } of claimed) if (counter > highest) highest = counter;
    const token = highest + 1n;
    const unclaimed = this.#primaries.filter((primary) => !claimed.some((c) => c.primary === primary));
    const leaveArgs = [address, this.#wakes.channelPrefix, this.#wakes.dropSilent];
    const [commits] = await Promise.all([
      Promise.all(
        claimed.map(({ primary }) => settle(runScript(primary, quorumCommit, keys, [claimId, String(token), address]))),
      ),
      // Where the claim failed this waiter may still hold a place (it joined there): give it up.
      ...unclaimed.map((primary) => settle(runScript(primary, lockLeaveQueue, this.#queueKeys(name), leaveArgs))),
    ]);
    const committed = commits.filter((outcome) => outcome.ok && Number(outcome.value) === 1).length;
    // Redlock's validity: what is left of the ttl after the time spent and the allowed clock drift.
    const driftMs = Math.floor(ttlMs * this.#driftFactor) + 2;
    const validity = ttlMs - (monotonicNow() - started) - driftMs;
    if (committed < this.#quorum || validity <= 0) {
      await this.#releaseEverywhere(name, String(token));
      await giveBack();
      if (committed < this.#quorum && commits.filter((o) => o.ok).length < this.#quorum)
        throw this.#unavailable("acquire", commits);
      return undefined;
    }
    this.#arrivals.delete(name);
    return { token, driftMs };
  }

  /** Sleeps until a primary's release wakes this waiter or `timeoutMs`; then core tries again. */
  async waitForRelease(name: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#wakes.wait(wakeKey(this.#layout.leaseKey(name)), timeoutMs, this.#placeMs, signal);
  }

  async stopWaiting(name: string): Promise<void> {
    this.#arrivals.delete(name);
    const args = [this.#wakes.address, this.#wakes.channelPrefix, this.#wakes.dropSilent];
    await this.#onEach((primary) => runScript(primary, lockLeaveQueue, this.#queueKeys(name), args));
  }

  async extend(name: string, token: bigint, ttlMs: number): Promise<boolean> {
    const outcomes = await this.#onEach((primary) =>
      runScript(primary, lockExtend, [this.#layout.leaseKey(name)], [String(token), ttlMs]),
    );
    return outcomes.filter((o) => o.ok && Number(o.value) === 1).length >= this.#quorum;
  }

  async release(name: string, token: bigint): Promise<boolean> {
    const outcomes = await this.#releaseEverywhere(name, String(token));
    return outcomes.filter((o) => o.ok && Number(o.value) === 1).length >= this.#quorum;
  }

  async inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined> {
    const sentAt = wallNow();
    const outcomes = await this.#onEach(
      (primary) =>
        runScript(primary, lockInspect, [this.#layout.leaseKey(name)], []) as Promise<[string, number] | null>,
    );
    if (outcomes.filter((o) => o.ok).length < this.#quorum) throw this.#unavailable("inspect", outcomes);
    const byToken = new Map<string, number[]>();
    for (const outcome of outcomes) {
      if (!outcome.ok || !outcome.value || outcome.value[0].startsWith("claim:")) continue;
      const [token, pttl] = outcome.value;
      byToken.set(token, [...(byToken.get(token) ?? []), pttl]);
    }
    for (const [token, ttls] of byToken) {
      if (ttls.length >= this.#quorum) {
        // The quorum's lease ends when the (quorum)-th longest of its copies does.
        const sorted = [...ttls].sort((a, b) => b - a);
        return { token: BigInt(token), expiresAt: sentAt + Math.max(0, sorted[this.#quorum - 1] as number) };
      }
    }
    return undefined;
  }
}
