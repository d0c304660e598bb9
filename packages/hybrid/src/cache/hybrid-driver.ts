import { randomUUID } from "node:crypto";
import type { CacheBus, CacheDriver, EntryUpdate, StoredEntry } from "@stowage/core";
import { type BreakerState, CircuitBreaker, type CircuitBreakerOptions } from "../breaker/circuit-breaker.js";
import { BusLink } from "../bus/bus-link.js";
import { L1Tier } from "../tiers/l1-tier.js";
import { HybridState } from "./hybrid-state.js";
import { ReadPath } from "./read-path.js";
import { WriteBehindQueue } from "./write-behind.js";
import { WritePath } from "./write-path.js";

/** Counters of the two tiers and the bus, in this process. */
export interface HybridStats {
  l1Hits: number;
  l2Hits: number;
  misses: number;
  /** Reads answered from L1 while L2 or the bus was unreachable (within the grace period). */
  staleServes: number;
  busSent: number;
  busReceived: number;
  /** Messages that could not be sent (the write itself succeeded). */
  busSendErrors: number;
  /** Times L1 was emptied because the bus reconnected or another instance cleared the namespace. */
  l1Clears: number;
  /** Writes waiting in the write-behind queue. */
  writeBehindQueued: number;
  /** Queued writes dropped at replay because another instance wrote the key in L2 after they were queued. */
  writeBehindConflicts: number;
  /** L2 calls that failed (unreachable, refused, corrupt), whether or not L1 answered instead. */
  l2Errors: number;
}

/** The state of the tiers beside the counters. */
export interface HybridTierState {
  l1Entries: number;
  l1Bytes: number;
  breaker: BreakerState;
  busConnected: boolean | undefined;
}

/** What the tiers need; createHybridCache fills in the defaults. */
export interface HybridDriverOptions {
  namespace: string;
  l1: CacheDriver;
  l2: CacheDriver;
  bus?: CacheBus | undefined;
  /** How long after L2 or the bus became unreachable L1 entries may still be served. */
  graceMs: number;
  /** Longest time an entry stays in L1 whatever its TTL in L2 (bounds staleness if a message is lost). */
  l1MaxTtlMs?: number | undefined;
  breaker?: CircuitBreakerOptions | undefined;
  /** Keeps up to `maxEntries` keys of writes while L2 is down and replays them when it is back. */
  writeBehind?: { maxEntries: number; retryMs?: number } | undefined;
}

/**
 * The two tiers behind one CacheDriver: reads (read-path.ts) try L1, then L2, filling L1 with
 * L2's expiry; writes (write-path.ts) go to L2, then L1, then the bus. Core's CacheStore wraps it
 * for validation and codecs.
 */
export class HybridCacheDriver implements CacheDriver {
  readonly namespace: string;
  readonly instanceId = randomUUID();
  /** The read path publishes hits and misses with their tier, so the cache store does not publish them again. */
  readonly publishesReads = true;
  readonly l1: CacheDriver;
  readonly l2: CacheDriver;
  readonly breaker: CircuitBreaker;
  readonly #state: HybridState;
  readonly #read: ReadPath;
  readonly #write: WritePath;
  #l1Size = { entries: 0, bytes: 0 };

  constructor(options: HybridDriverOptions) {
    this.namespace = options.namespace;
    this.l1 = options.l1;
    this.l2 = options.l2;
    const l1 = new L1Tier(options.l1, options.l1MaxTtlMs);
    const state = new HybridState(options.namespace, l1, options.l2, options.graceMs);
    this.#state = state;
    this.breaker = new CircuitBreaker(`hybrid cache "${options.namespace}" L2`, options.breaker, {
      answered: () => state.l2Answered(),
      failed: (error) => state.l2Failed(error),
    });
    state.breaker = this.breaker;
    this.#read = new ReadPath(state);
    this.#write = new WritePath(state);
    state.queue = options.writeBehind
      ? new WriteBehindQueue(
          options.writeBehind.maxEntries,
          options.writeBehind.retryMs ?? options.breaker?.openMs ?? 1_000,
          (key, write, base) => this.#write.replay(key, write, base),
        )
      : undefined;
    const bus = options.bus;
    state.link = bus
      ? new BusLink(bus, this.instanceId, this.namespace, {
          keysChanged: (keys) => {
            for (const key of keys) state.guard.changed(key);
            return l1.drop(keys)?.then(() => undefined);
          },
          l1Invalid: () => void state.emptyL1(true),
          disconnected: () => state.outage(),
        })
      : undefined;
    if (bus) {
      if (!bus.connected) state.outage();
      // A persistent L1 holds entries from before this process started, and every message sent
      // since then was missed: keep L1 out of reads until it is empty.
      if (l1.persistent) {
        state.l1Emptying = true;
        state.guard.emptied();
        this.l1
          .clear()
          .then(() => {
            state.l1Emptying = false;
          })
          .catch(() => {}); // left untrusted: reads keep going to L2
      }
    }
  }

  get busConnected(): boolean | undefined {
    return this.#state.link?.connected;
  }

  stats(): HybridStats {
    const { counters, link, queue } = this.#state;
    return {
      ...counters,
      busSent: link?.sent ?? 0,
      busReceived: link?.received ?? 0,
      busSendErrors: link?.sendErrors ?? 0,
      writeBehindQueued: queue?.size ?? 0,
    };
  }

  /** stats() of the tiers for any store over this driver: counters, L1's size, breaker and bus; never rejects. */
  async statsDetails(): Promise<HybridStats & HybridTierState> {
    try {
      this.#l1Size = await this.l1.size();
    } catch {} // a disk L1 that fails keeps its last size
    return {
      ...this.stats(),
      l1Entries: this.#l1Size.entries,
      l1Bytes: this.#l1Size.bytes,
      breaker: this.breaker.state,
      busConnected: this.busConnected,
    };
  }

  get(key: string): Promise<StoredEntry | undefined> {
    return this.#read.get(key);
  }

  getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    return this.#read.getMany(keys);
  }

  async set(key: string, entry: StoredEntry): Promise<void> {
    await this.#write.write(
      [key],
      () => this.l2.set(key, entry),
      () => ({ l1: [entry], publish: true }),
      [entry],
    );
  }

  async setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void> {
    const keys = entries.map(({ key }) => key);
    const values = entries.map(({ entry }) => entry);
    await this.#write.write(
      keys,
      () => this.l2.setMany(entries),
      () => ({ l1: values, publish: true }),
      values,
    );
  }

  async add(key: string, entry: StoredEntry): Promise<boolean> {
    return this.#write.write(
      [key],
      () => this.l2.add(key, entry),
      (stored) => ({ l1: [stored ? entry : null], publish: stored }),
    );
  }

  async delete(key: string): Promise<boolean> {
    const hadLocal = this.#state.queue ? (await this.l1.get(key)) !== undefined : false;
    const removed = await this.#write.write(
      [key],
      () => this.l2.delete(key),
      () => ({ l1: [null], publish: true }),
      [null],
    );
    return removed === undefined ? hadLocal : removed;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    const unique = [...new Set(keys)];
    const removed = await this.#write.write(
      unique,
      () => this.l2.deleteMany(unique),
      () => ({ l1: unique.map(() => null), publish: true }),
      unique.map(() => null),
    );
    return removed ?? 0;
  }

  async incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    // L2 keeps the counter's expiry, which L1 does not know: drop the key rather than guess it.
    return this.#write.write(
      [key],
      () => this.l2.incr(key, by, expiresAtIfCreated),
      () => ({ l1: [null], publish: true }),
    );
  }

  async update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void> {
    let last: EntryUpdate;
    await this.#write.write(
      [key],
      () =>
        this.l2.update(key, (current) => {
          last = fn(current);
          return last;
        }),
      () => ({ l1: [last], publish: last !== undefined }),
    );
  }

  keys(prefix: string): AsyncIterable<string> {
    return this.l2.keys(prefix);
  }

  async clear(): Promise<void> {
    const state = this.#state;
    await state.runL2(() => this.l2.clear());
    state.queue?.clear();
    await state.emptyL1(false);
    await state.link?.publishClear();
  }

  async gc(): Promise<number> {
    await this.l1.gc();
    return this.#state.runL2(() => this.l2.gc());
  }

  size(): Promise<{ entries: number; bytes: number }> {
    return this.#state.runL2(() => this.l2.size());
  }

  /** Queued writes not yet in L2. */
  get pendingWrites(): number {
    return this.#state.queue?.size ?? 0;
  }

  async close(): Promise<void> {
    await this.#state.link?.close();
    this.#state.queue?.close();
  }
}
