import { type LeaseGrant, type LockDriver, type ReleaseSignal, wallNow } from "@stowage/core";
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
 */
export class LmdbLockDriver implements LockDriver {
  readonly #dbs: LmdbDatabases;
  readonly #namespace: string;
  readonly #where: string;
  /** Wakes waiters of this process when a holder of this process releases; others poll. */
  readonly #released: ReleaseSignal;

  readonly #writes: WriteWait;
  /** Every token this driver hands out is at least this (src/fence-epoch.ts); taken on first acquire. */
  #tokenFloor: Promise<number> | undefined;

  constructor(dbs: LmdbDatabases, namespace: string, writes: WriteWait, released: ReleaseSignal) {
    const where = writes.where;
    this.#writes = writes;
    this.#dbs = dbs;
    this.#namespace = namespace;
    this.#where = where;
    this.#released = released;
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

  async tryAcquire(name: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    const key = encodeTuple([this.#namespace, name]);
    const floor = await this.#floor();
    return this.#write(() => {
      // Judged on the clock when the writer lock is held, not when the call was queued.
      const now = wallNow();
      if (this.#liveLease(key, now)) return undefined;
      // The fencing counter is never deleted, and the epoch floor lifts it past tokens an OS crash lost.
      const token = Math.max((this.#dbs.fence.get(key) ?? 0) + 1, floor + 1);
      this.#dbs.fence.putSync(key, token);
      this.#dbs.lease.putSync(key, { token, expiresAt: now + ttlMs });
      return { token: BigInt(token) };
    });
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
      if (!lease || BigInt(lease.token) !== token) return false;
      this.#dbs.lease.removeSync(key);
      return lease.expiresAt > wallNow();
    });
    if (released) this.#released.notify(`${this.#namespace}\0${name}`);
    return released;
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

  async waitForRelease(name: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.#released.wait(`${this.#namespace}\0${name}`, timeoutMs, signal);
  }
}
