import { randomBytes } from "node:crypto";
import { BackendUnavailableError, type LeaseGrant, type LockDriver, monotonicNow, wallNow } from "@stowage/core";
import type { Redis } from "ioredis";
import type { KeyLayout } from "./key-layout.js";
import { lockExtend, lockInspect, lockRelease, quorumClaim, quorumCommit } from "./scripts/lock-scripts.js";
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
 */
export class QuorumLockDriver implements LockDriver {
  readonly #primaries: readonly Redis[];
  readonly #layout: KeyLayout;
  readonly #driftFactor: number;
  readonly #quorum: number;

  constructor(primaries: readonly Redis[], layout: KeyLayout, driftFactor: number) {
    this.#primaries = primaries;
    this.#layout = layout;
    this.#driftFactor = driftFactor;
    this.#quorum = Math.floor(primaries.length / 2) + 1;
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

  async tryAcquire(name: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    const started = monotonicNow();
    const keys = [this.#layout.leaseKey(name), this.#layout.fenceKey(name)];
    const claimId = `claim:${randomBytes(12).toString("hex")}`;
    const claims = await this.#onEach(
      (primary) => runScript(primary, quorumClaim, keys, [ttlMs, claimId]) as Promise<string | null>,
    );
    const claimed = claims.flatMap((outcome, i) =>
      outcome.ok && outcome.value !== null
        ? [{ primary: this.#primaries[i] as Redis, counter: BigInt(outcome.value) }]
        : [],
    );
    const answered = claims.filter((outcome) => outcome.ok).length;
    // Every primary, not only those that said yes: a claim whose answer timed out may still have landed.
    const giveBack = () =>
      Promise.all(
        this.#primaries.map((primary) => settle(runScript(primary, lockRelease, [keys[0] as string], [claimId]))),
      );
    if (claimed.length < this.#quorum) {
      await giveBack();
      if (answered < this.#quorum) throw this.#unavailable("acquire", claims);
      return undefined;
    }
    let highest = 0n;
    for (const { counter } of claimed) if (counter > highest) highest = counter;
    const token = highest + 1n;
    const commits = await Promise.all(
      claimed.map(({ primary }) => settle(runScript(primary, quorumCommit, keys, [claimId, String(token)]))),
    );
    const committed = commits.filter((outcome) => outcome.ok && Number(outcome.value) === 1).length;
    // Redlock's validity: what is left of the ttl after the time spent and the allowed clock drift.
    const driftMs = Math.floor(ttlMs * this.#driftFactor) + 2;
    const validity = ttlMs - (monotonicNow() - started) - driftMs;
    if (committed < this.#quorum || validity <= 0) {
      await Promise.all(
        this.#primaries.map((primary) => settle(runScript(primary, lockRelease, [keys[0] as string], [String(token)]))),
      );
      await giveBack();
      if (committed < this.#quorum && commits.filter((o) => o.ok).length < this.#quorum)
        throw this.#unavailable("acquire", commits);
      return undefined;
    }
    return { token, driftMs };
  }

  async extend(name: string, token: bigint, ttlMs: number): Promise<boolean> {
    const outcomes = await this.#onEach((primary) =>
      runScript(primary, lockExtend, [this.#layout.leaseKey(name)], [String(token), ttlMs]),
    );
    return outcomes.filter((o) => o.ok && Number(o.value) === 1).length >= this.#quorum;
  }

  async release(name: string, token: bigint): Promise<boolean> {
    const outcomes = await this.#onEach((primary) =>
      runScript(primary, lockRelease, [this.#layout.leaseKey(name)], [String(token)]),
    );
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
