import { join } from "node:path";
import { FairWaits, type LeaseGrant, type LockDriver, type WakeChannel, wallNow } from "@stowage/core";
import { LeaseLog } from "./lease-log.js";
import { shardOf, toRelativePath } from "./path-codec.js";
import { leaves, listDir } from "./tree-walk.js";
import { WaiterPlaces } from "./waiter-places.js";

/** A few re-reads when another process changed the lease between our read and our write. */
const RETRIES = 4;

/**
 * One namespace of locks: a lease log directory per name (see lease-log.ts). The fencing token
 * is the sequence number of the entry that granted the lease, so the counter lives as long as
 * the directory, which nothing removes. Waiters queue as places in the same directory
 * (waiter-places.ts); the acquire takes a free name only when no earlier live place is there, and
 * core's FairWaits wakes the head on release through the store's wake channel.
 */
export class FsLockDriver implements LockDriver {
  readonly #dir: string;
  readonly #logs = new Map<string, LeaseLog>();
  /** Leases this driver granted or extended and has not released: the entry that holds each. */
  readonly #held = new Map<string, { seq: number; token: bigint; expiresAt: number }>();
  readonly #durable: boolean;
  readonly #places = new WaiterPlaces((name) => this.#log(name));
  readonly #fair: FairWaits;

  constructor(dir: string, durable: boolean, wake: WakeChannel) {
    this.#dir = dir;
    this.#durable = durable;
    this.#fair = new FairWaits(this.#places.queue(), wake);
  }

  #log(name: string): LeaseLog {
    let log = this.#logs.get(name);
    if (!log) {
      if (this.#logs.size > 10_000) this.#logs.clear();
      const dir = join(this.#dir, shardOf(name), toRelativePath(name, ".l"));
      log = new LeaseLog(dir, join(this.#dir, "released"), this.#durable);
      this.#logs.set(name, log);
    }
    return log;
  }

  async tryAcquire(name: string, ttlMs: number, wait?: { placeMs: number }): Promise<LeaseGrant | undefined> {
    const log = this.#log(name);
    const waiter = this.#fair.waiter;
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const state = log.read();
      const now = wallNow();
      if (state.expiresAt > now) return this.#refused(name, wait);
      const head = state.waiters.length === 0 ? undefined : this.#places.head(log.dir, state.waiters, now);
      if (head !== undefined && head !== waiter) return this.#refused(name, wait);
      // The fencing token is the acquiring entry's sequence number: it only grows, and the newest entry is never removed.
      const token = BigInt(state.seq + 1);
      if (log.write(state, token, now + ttlMs)) {
        if (this.#held.size > 10_000) this.#held.clear();
        this.#held.set(name, { seq: state.seq + 1, token, expiresAt: now + ttlMs });
        if (this.#fair.granted(name)) this.#places.forget(name);
        return { token };
      }
    }
    return this.#refused(name, wait);
  }

  #refused(name: string, wait: { placeMs: number } | undefined): undefined {
    if (wait !== undefined) this.#fair.refused(name);
    return undefined;
  }

  async extend(name: string, token: bigint, ttlMs: number): Promise<boolean> {
    const log = this.#log(name);
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const state = log.read();
      const now = wallNow();
      if (state.token !== token || state.expiresAt <= now) return false;
      if (log.write(state, token, now + ttlMs)) {
        this.#held.set(name, { seq: state.seq + 1, token, expiresAt: now + ttlMs });
        return true;
      }
    }
    return false;
  }

  async release(name: string, token: bigint): Promise<boolean> {
    const log = this.#log(name);
    const held = this.#held.get(name);
    if (held?.token === token) {
      // Our own grant: one link creating the entry after it, no read. If it exists, another
      // process moved the lease on, and the read below gives the answer.
      this.#held.delete(name);
      if (held.expiresAt <= wallNow()) return false;
      if (log.releaseFrom(held.seq)) {
        await this.#wakeNext(name);
        return true;
      }
    }
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const state = log.read();
      if (state.token !== token || state.expiresAt <= wallNow()) return false;
      if (log.write(state, token, 0)) {
        await this.#wakeNext(name);
        return true;
      }
    }
    return false;
  }

  async inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined> {
    const state = this.#log(name).read();
    return state.expiresAt > wallNow() ? { token: state.token, expiresAt: state.expiresAt } : undefined;
  }

  async *fencingCounters(): AsyncIterable<{ name: string; token: bigint }> {
    for (const shard of listDir(this.#dir) ?? []) {
      if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
      for (const leaf of leaves(join(this.#dir, shard.name), ".l")) {
        // The newest entry's sequence number bounds every token the log gave.
        const { seq } = this.#log(leaf.text).read();
        if (seq > 0) yield { name: leaf.text, token: BigInt(seq) };
      }
    }
  }

  /** The counter is the log's newest entry, so raising it writes a release entry: refused (undefined) while a lease is live. */
  async raiseFence(name: string, atLeast: bigint): Promise<bigint | undefined> {
    if (atLeast > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const log = this.#log(name);
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const state = log.read();
      if (BigInt(state.seq) >= atLeast) return BigInt(state.seq);
      if (state.expiresAt > wallNow()) return undefined;
      if (log.skipTo(state, Number(atLeast))) return atLeast;
    }
    return undefined;
  }

  /** Keeps this process's place in the name's queue and sleeps until woken or a look finds its turn. */
  waitForRelease(name: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#fair.wait(name, this.#key(name), timeoutMs, signal);
  }

  /** A wait that ended without the lease (timeout or abort) leaves the queue, so it holds back no taker of a free name. */
  stopWaiting(name: string): Promise<void> {
    return this.#fair.stopWaiting(name, this.#key(name));
  }

  /** After a release: wakes the head of the queue, if anyone waits (one directory listing when nobody does). */
  async #wakeNext(name: string): Promise<void> {
    const head = this.#places.headAfterRelease(name, wallNow());
    if (head === undefined) this.#fair.releasedToNobody(name);
    else await this.#fair.released(name, this.#key(name), head);
  }

  #key(name: string): string {
    return `${this.#dir}\0${name}`;
  }
}
