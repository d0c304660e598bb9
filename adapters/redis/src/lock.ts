import { type LeaseGrant, type LockDriver, wallNow } from "@stowage/core";
import type { RedisConnection } from "./connection.js";
import { RedisDriverBase } from "./driver-base.js";
import type { KeyLayout } from "./key-layout.js";
import { type LockWakes, wakeKey } from "./lock-wakes.js";
import {
  lockAcquire,
  lockExtend,
  lockInspect,
  lockLeaveQueue,
  lockRaiseFence,
  lockReleaseWake,
} from "./scripts/lock-scripts.js";
import { runScript } from "./scripts/lua-script.js";

/** The acquire script's reply: the new token as text, or null when the name is held. */
const grantOf = (token: unknown): LeaseGrant | undefined =>
  token === null ? undefined : { token: BigInt(token as string) };
const isOne = (reply: unknown): boolean => Number(reply) === 1;

/** How an attempt made while waiting keeps its place (core's acquireLoop passes it; the public tryAcquire does not). */
export interface WaitPlace {
  /**
   * How long the place lives unless the next attempt refreshes it. Core passes more than the
   * longest pause between two attempts (grace included): a waiter that crashed holds the queue
   * for at most this long after its last attempt (README: "Fair queue").
   */
  placeMs: number;
}

/**
 * Locks on one primary (standalone, Sentinel or a Cluster slot): each operation is one Lua script,
 * one round trip. Waiters queue fairly (lock-scripts.ts: lockAcquire) and a release wakes the
 * head by pub/sub (lock-wakes.ts); exclusion and fencing stay in the atomic acquire.
 */
export class RedisLockDriver extends RedisDriverBase implements LockDriver {
  readonly #wakes: LockWakes;
  /** The place length core asked for last (its WAITER_PLACE_MS); waits are cut to half of it. */
  #placeMs = 1000;

  constructor(connection: RedisConnection, layout: KeyLayout, wakes: LockWakes) {
    super(connection, layout);
    this.#wakes = wakes;
  }

  #queueKeys(name: string): [string, string, string] {
    return [this.layout.leaseKey(name), this.layout.queueKey(name), this.layout.queueDeadlineKey(name)];
  }

  tryAcquire(name: string, ttlMs: number, wait?: WaitPlace): Promise<LeaseGrant | undefined> {
    const placeMs = wait ? Math.max(0, Math.ceil(wait.placeMs)) : 0;
    if (placeMs > 0) this.#placeMs = placeMs;
    if (placeMs === 0) return this.#acquire(name, ttlMs, 0);
    // The subscriber comes up before the first place is taken (a release that finds a place but no
    // subscriber drops it: the waiter looks gone), and only once a name is found taken, so a
    // store-open that never waits opens no subscriber connection.
    if (!this.#wakes.started)
      return this.#acquire(name, ttlMs, 0).then((grant) => grant ?? this.#joinWhenReady(name, ttlMs, placeMs));
    const ready = this.#wakes.ready();
    return ready ? this.#joinWhenReady(name, ttlMs, placeMs) : this.#acquire(name, ttlMs, placeMs);
  }

  async #joinWhenReady(name: string, ttlMs: number, placeMs: number): Promise<LeaseGrant | undefined> {
    await this.#wakes.ready();
    return this.#acquire(name, ttlMs, placeMs);
  }

  #acquire(name: string, ttlMs: number, placeMs: number): Promise<LeaseGrant | undefined> {
    const [lease, queue, deadlines] = this.#queueKeys(name);
    const keys = [lease, this.layout.fenceKey(name), queue, deadlines];
    const args = [ttlMs, this.#wakes.address, placeMs, "", this.#wakes.channelPrefix, this.#wakes.dropSilent];
    return this.run((client) => runScript(client, lockAcquire, keys, args).then(grantOf));
  }

  /** Sleeps until this name's release wakes this waiter (it is the queue's head) or `timeoutMs`; then core tries again. */
  async waitForRelease(name: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#wakes.wait(wakeKey(this.layout.leaseKey(name)), timeoutMs, this.#placeMs, signal);
  }

  stopWaiting(name: string): Promise<void> {
    const keys = this.#queueKeys(name);
    const args = [this.#wakes.address, this.#wakes.channelPrefix, this.#wakes.dropSilent];
    return this.run((client) => runScript(client, lockLeaveQueue, keys, args).then(() => {}));
  }

  extend(name: string, token: bigint, ttlMs: number): Promise<boolean> {
    return this.run(async (client) => {
      const reply = await runScript(client, lockExtend, [this.layout.leaseKey(name)], [String(token), ttlMs]);
      return Number(reply) === 1;
    });
  }

  release(name: string, token: bigint): Promise<boolean> {
    const keys = this.#queueKeys(name);
    const args = [String(token), this.#wakes.channelPrefix, this.#wakes.dropSilent, ""];
    return this.run((client) => runScript(client, lockReleaseWake, keys, args).then(isOne));
  }

  inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined> {
    return this.run(async (client) => {
      // Counted from before the request, as cache expiries are: never later than the lease's own.
      const sentAt = wallNow();
      const reply = (await runScript(client, lockInspect, [this.layout.leaseKey(name)], [])) as [string, number] | null;
      if (!reply) return undefined;
      return { token: BigInt(reply[0]), expiresAt: sentAt + Math.max(0, reply[1]) };
    });
  }

  async *fencingCounters(): AsyncIterable<{ name: string; token: bigint }> {
    const seen = new Set<string>();
    const match = this.layout.fencePattern();
    for (const node of this.connection.primaries()) {
      let cursor = "0";
      do {
        const [next, found] = await node.scan(cursor, "MATCH", match, "COUNT", 500);
        cursor = next;
        const fresh = found.filter((key) => !seen.has(key));
        for (const key of fresh) seen.add(key);
        const tokens = await Promise.all(fresh.map((key) => node.get(key)));
        for (const [i, key] of fresh.entries()) {
          const token = tokens[i];
          if (token) yield { name: this.layout.fenceName(key), token: BigInt(token) };
        }
      } while (cursor !== "0");
    }
  }

  raiseFence(name: string, atLeast: bigint): Promise<bigint> {
    const key = this.layout.fenceKey(name);
    return this.run((client) =>
      runScript(client, lockRaiseFence, [key], [String(atLeast)]).then((reply) => BigInt(reply as string)),
    );
  }
}
