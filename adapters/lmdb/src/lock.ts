import {
  FairWaits,
  type LeaseGrant,
  type LockDriver,
  type QueueState,
  type WaiterQueue,
  type WakeChannel,
  wallNow,
} from "@stowage/core";
import type { LmdbDatabases } from "./environment.js";
import { openFenceEpoch } from "./fence-epoch.js";
import { decodeTuple, encodeTuple, tupleRange } from "./keys/tuple.js";
import type { WriteWait } from "./write-wait.js";

/**
 * One namespace of locks. Each operation is one lmdb write transaction: LMDB admits a single
 * writer at a time across every process that maps the file (a robust mutex, so a writer
 * killed mid-transaction frees it), which is what makes check-then-set atomic here. The
 * transaction waits for that mutex on lmdb's write thread, bounded by the store's timeout
 * (WriteWait): a process sitting inside a write transaction never blocks this one's event loop.
 *
 * Waiters queue in the lease database under (namespace, name, since, waiter) → deadline: a lease
 * key has two parts, a place four, so no lease is ever read as a place (and no new named
 * database makes an older version refuse the file during a rolling upgrade). The acquire grants
 * a free name only to the oldest live place, or to anyone when there is none; core's FairWaits
 * does the rest (places, wake-ups through the channel, polls).
 */
export class LmdbLockDriver implements LockDriver {
  readonly #dbs: LmdbDatabases;
  readonly #namespace: string;
  readonly #where: string;
  readonly #fair: FairWaits;
  /** When this driver's place for a name was taken (its key's third part). */
  readonly #since = new Map<string, number>();

  readonly #writes: WriteWait;
  /** Every token this driver hands out is at least this (src/fence-epoch.ts); taken on first acquire. */
  #tokenFloor: Promise<number> | undefined;

  constructor(dbs: LmdbDatabases, namespace: string, writes: WriteWait, wake: WakeChannel) {
    const where = writes.where;
    this.#writes = writes;
    this.#dbs = dbs;
    this.#namespace = namespace;
    this.#where = where;
    this.#fair = new FairWaits(this.#waiterQueue(), wake);
  }

  /** The places of `name`, oldest first, read in the caller's transaction (or a fresh read). */
  #places(name: string): { key: Buffer; waiter: string; deadline: number }[] {
    const places: { key: Buffer; waiter: string; deadline: number }[] = [];
    for (const { key, value } of this.#dbs.lease.getRange(tupleRange([this.#namespace, name]))) {
      const parts = decodeTuple(key);
      if (parts.length !== 4) continue;
      places.push({ key, waiter: String(parts[3]), deadline: value as unknown as number });
    }
    return places;
  }

  /** The oldest place whose deadline has not passed; removes lapsed ones when inside a write transaction. */
  #head(name: string, now: number, prune: boolean): string | undefined {
    for (const place of this.#places(name)) {
      if (place.deadline > now) return place.waiter;
      if (prune) this.#dbs.lease.removeSync(place.key);
    }
    return undefined;
  }

  #waiterQueue(): WaiterQueue {
    return {
      join: (name, waiter, deadline) =>
        this.#write(() => {
          let since = this.#since.get(name);
          if (since === undefined || this.#dbs.lease.get(this.#placeKey(name, since, waiter)) === undefined) {
            since = wallNow();
            if (this.#since.size > 10_000) this.#since.clear();
            this.#since.set(name, since);
          }
          this.#dbs.lease.putSync(this.#placeKey(name, since, waiter), deadline as never);
        }),
      leave: (name, waiter) =>
        this.#write(() => {
          const now = wallNow();
          for (const place of this.#places(name))
            if (place.waiter === waiter || place.deadline <= now) this.#dbs.lease.removeSync(place.key);
        }),
      peek: (name, now): QueueState => ({
        free: this.#liveLease(encodeTuple([this.#namespace, name]), now) === undefined,
        head: this.#head(name, now, false),
      }),
    };
  }

  #placeKey(name: string, since: number, waiter: string): Buffer {
    return encodeTuple([this.#namespace, name, since, waiter]);
  }

  #write<T>(fn: () => T): Promise<T> {
    return this.#writes.transaction(fn);
  }

  #liveLease(key: Buffer, now: number): { token: number; expiresAt: number } | undefined {
    const lease = this.#dbs.lease.get(key);
    return lease !== undefined && lease.expiresAt > now ? lease : undefined;
  }

  #floor(): Promise<number> {
    if (this.#tokenFloor === undefined) {
      this.#tokenFloor = openFenceEpoch(this.#dbs, this.#writes).catch((error: unknown) => {
        this.#tokenFloor = undefined;
        throw error;
      });
    }
    return this.#tokenFloor;
  }

  async tryAcquire(name: string, ttlMs: number, wait?: { placeMs: number }): Promise<LeaseGrant | undefined> {
    // A look first (a read, no write transaction) when the name is known to be contended.
    if (wait !== undefined && !(await this.#fair.worthAttempt(name))) return undefined;
    const key = encodeTuple([this.#namespace, name]);
    const floor = await this.#floor();
    const waiter = this.#fair.waiter;
    const grant = await this.#write(() => {
      // Judged on the clock when the writer lock is held, not when the call was queued.
      const now = wallNow();
      if (this.#liveLease(key, now)) return undefined;
      const head = this.#head(name, now, true);
      if (head !== undefined && head !== waiter) return undefined;
      // The fencing counter is never deleted, and the epoch floor lifts it past tokens an OS crash lost.
      const token = Math.max((this.#dbs.fence.get(key) ?? 0) + 1, floor + 1);
      this.#dbs.fence.putSync(key, token);
      this.#dbs.lease.putSync(key, { token, expiresAt: now + ttlMs });
      // A waiter that wins gives up its place in the same commit.
      if (head === waiter) {
        for (const place of this.#places(name)) if (place.waiter === waiter) this.#dbs.lease.removeSync(place.key);
      }
      return { token: BigInt(token) };
    });
    if (grant === undefined) {
      if (wait !== undefined) this.#fair.refused(name);
      return undefined;
    }
    if (this.#fair.granted(name)) this.#since.delete(name);
    return grant;
  }

  async extend(name: string, token: bigint, ttlMs: number): Promise<boolean> {
    const key = encodeTuple([this.#namespace, name]);
    return this.#write(() => {
      const now = wallNow();
      const lease = this.#liveLease(key, now);
      if (!lease || BigInt(lease.token) !== token) return false;
      this.#dbs.lease.putSync(key, { token: lease.token, expiresAt: now + ttlMs });
      return true;
    });
  }

  async release(name: string, token: bigint): Promise<boolean> {
    const key = encodeTuple([this.#namespace, name]);
    const released = await this.#write(() => {
      const lease = this.#dbs.lease.get(key);
      if (!lease || BigInt(lease.token) !== token) return undefined;
      this.#dbs.lease.removeSync(key);
      const now = wallNow();
      // The head of the queue, read in the same transaction, is who the release wakes.
      return { live: lease.expiresAt > now, head: this.#head(name, now, false) ?? null };
    });
    if (released === undefined) return false;
    if (released.head === null) this.#fair.releasedToNobody(name);
    else await this.#fair.released(name, this.#key(name), released.head);
    return released.live;
  }

  async inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined> {
    const lease = this.#liveLease(encodeTuple([this.#namespace, name]), wallNow());
    return lease && { token: BigInt(lease.token), expiresAt: lease.expiresAt };
  }

  async *fencingCounters(): AsyncIterable<{ name: string; token: bigint }> {
    const range = tupleRange([this.#namespace]);
    const entries = [...this.#dbs.fence.getRange(range)];
    for (const { key, value } of entries) yield { name: String(decodeTuple(key)[1]), token: BigInt(value) };
  }

  async raiseFence(name: string, atLeast: bigint): Promise<bigint> {
    const key = encodeTuple([this.#namespace, name]);
    return this.#write(() => {
      const counter = this.#dbs.fence.get(key) ?? 0;
      if (BigInt(counter) >= atLeast) return BigInt(counter);
      // Counters are doubles here: exact up to 2^53, far above any token a backend hands out.
      this.#dbs.fence.putSync(key, Number(atLeast));
      return atLeast;
    });
  }

  /** Keeps this process's place in the name's queue and sleeps until woken or a look finds its turn. */
  waitForRelease(name: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#fair.wait(name, this.#key(name), timeoutMs, signal);
  }

  /** A wait that ended without the lease (timeout or abort) leaves the queue, so it holds back no taker of a free name. */
  async stopWaiting(name: string): Promise<void> {
    await this.#fair.stopWaiting(name, this.#key(name));
    this.#since.delete(name);
  }

  #key(name: string): string {
    return `${this.#namespace}\0${name}`;
  }
}
