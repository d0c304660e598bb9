import { randomUUID } from "node:crypto";
import type { CacheBus, CacheDriver, EntryUpdate, StoredEntry } from "@stowage/core";
import { BackendUnavailableError, isStowageError, monotonicNow, wallNow } from "@stowage/core";
import { MemoryTier } from "@stowage/memory";
import { type BreakerState, CircuitBreaker, type CircuitBreakerOptions } from "../breaker/circuit-breaker.js";
import { BusLink } from "../bus/bus-link.js";
import { L2Reader } from "../tiers/l2-reader.js";
import { FillGuard } from "./fill-guard.js";
import { type QueuedWrite, type ReplayBase, WriteBehindQueue } from "./write-behind.js";

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

const isUnavailable = (error: unknown) => isStowageError(error, "ERR_BACKEND_UNAVAILABLE");

/** Byte equality of two values, undefined meaning absent. */
function sameValue(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

/**
 * The two tiers behind one CacheDriver: reads try L1, then L2 (filling L1 with L2's expiry);
 * writes go to L2, then L1, then the bus. Core's CacheStore wraps it for validation and codecs.
 */
export class HybridCacheDriver implements CacheDriver {
  readonly namespace: string;
  readonly instanceId = randomUUID();
  readonly l1: CacheDriver;
  readonly l2: CacheDriver;
  readonly breaker: CircuitBreaker;
  readonly #link: BusLink | undefined;
  readonly #graceMs: number;
  readonly #l1MaxTtlMs: number | undefined;
  readonly #guard = new FillGuard();
  readonly #reader: L2Reader;
  readonly #queue: WriteBehindQueue | undefined;
  readonly #counters = {
    l1Hits: 0,
    l2Hits: 0,
    misses: 0,
    staleServes: 0,
    l1Clears: 0,
    writeBehindConflicts: 0,
    l2Errors: 0,
  };
  readonly #peek: ((key: string) => StoredEntry | undefined) | undefined;
  /** The memory L1, whose fills need no promise; undefined for a disk L1. */
  readonly #memory: MemoryTier | undefined;
  #l1Emptying = false;
  #l1Size = { entries: 0, bytes: 0 };
  /** Monotonic ms since L2 or the bus became unreachable; undefined while both answer. */
  #outageSince: number | undefined;

  constructor(options: HybridDriverOptions) {
    this.namespace = options.namespace;
    this.l1 = options.l1;
    // The memory tier answers synchronously: an L1 hit then costs no extra promise.
    if (options.l1 instanceof MemoryTier) {
      const tier = options.l1;
      this.#peek = (key) => tier.peek(key);
      this.#memory = tier;
    }
    this.l2 = options.l2;
    this.#graceMs = options.graceMs;
    this.#l1MaxTtlMs = options.l1MaxTtlMs;
    this.breaker = new CircuitBreaker(`hybrid cache "${options.namespace}" L2`, options.breaker, {
      answered: () => this.#l2Answered(),
      failed: (error) => this.#l2Failed(error),
    });
    this.#reader = new L2Reader(this.l2, (call) => this.#l2(call));
    this.#queue = options.writeBehind
      ? new WriteBehindQueue(
          options.writeBehind.maxEntries,
          options.writeBehind.retryMs ?? options.breaker?.openMs ?? 1_000,
          (key, write, base) => this.#replay(key, write, base),
        )
      : undefined;
    const bus = options.bus;
    this.#link = bus
      ? new BusLink(bus, this.instanceId, this.namespace, {
          keysChanged: (keys) => {
            for (const key of keys) this.#guard.changed(key);
            const memory = this.#memory;
            if (memory) {
              for (const key of keys) memory.put(key, null);
              return undefined;
            }
            return this.l1.deleteMany(keys).then(() => undefined);
          },
          l1Invalid: () => void this.#emptyL1(true),
          disconnected: () => this.#outage(),
        })
      : undefined;
    if (bus) {
      if (!bus.connected) this.#outage();
      // A persistent L1 holds entries from before this process started, and every message sent
      // since then was missed: keep L1 out of reads until it is empty.
      if (!(this.l1 instanceof MemoryTier)) {
        this.#l1Emptying = true;
        this.#guard.emptied();
        this.l1
          .clear()
          .then(() => {
            this.#l1Emptying = false;
          })
          .catch(() => {}); // left untrusted: reads keep going to L2
      }
    }
  }

  /** L1 answers alone only while invalidations arrive and L2 is believed up. */
  get #l1Trusted(): boolean {
    return (this.#link === undefined || this.#link.connected) && this.breaker.closed && !this.#l1Emptying;
  }

  get busConnected(): boolean | undefined {
    return this.#link?.connected;
  }

  stats(): HybridStats {
    return {
      ...this.#counters,
      busSent: this.#link?.sent ?? 0,
      busReceived: this.#link?.received ?? 0,
      busSendErrors: this.#link?.sendErrors ?? 0,
      writeBehindQueued: this.#queue?.size ?? 0,
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

  #outage(): void {
    this.#outageSince ??= monotonicNow();
  }

  #withinGrace(): boolean {
    return this.#outageSince !== undefined && monotonicNow() - this.#outageSince <= this.#graceMs;
  }

  /** Runs an L2 call through the breaker, which reports to #l2Answered / #l2Failed when L2 (does not) answer. */
  #l2<T>(call: () => Promise<T>): Promise<T> {
    return this.breaker.run(call);
  }

  #l2Answered(): void {
    if (this.#link === undefined || this.#link.connected) this.#outageSince = undefined;
    if (this.#queue?.size) this.#queue.schedule(0);
  }

  #l2Failed(error: unknown): void {
    this.#counters.l2Errors++;
    if (isUnavailable(error)) this.#outage();
  }

  /**
   * Sends a queued write to L2 as a compare-and-set on the value this instance saw when it
   * queued it (or on the key being absent): when another instance wrote the key since, its newer
   * value stays, the queued write is dropped (counted), and L1 forgets the key so the next read
   * fetches the newer value.
   */
  async #replay(key: string, write: QueuedWrite, base: ReplayBase): Promise<ReplayBase> {
    let conflict = false;
    let held: ReplayBase;
    await this.breaker.run(() =>
      this.l2.update(key, (current) => {
        conflict = false;
        held = current?.value;
        if (sameValue(current?.value, write?.value)) return undefined; // already there
        // Absent also lets it land: a Redis back without its data (or an expired key) holds nothing newer.
        if (current !== undefined && !sameValue(current.value, base)) {
          conflict = true;
          return undefined;
        }
        held = write?.value;
        return write;
      }),
    );
    if (conflict) {
      this.#counters.writeBehindConflicts++;
      this.#guard.changed(key);
      const dropping = this.#l1Put(key, null);
      if (dropping) await dropping;
      return held;
    }
    void this.#link?.publish([key]);
    return held;
  }

  /** Puts `entry` in L1 (or drops the key when null); synchronous for the memory L1 (no promise to await). */
  #l1Put(key: string, entry: StoredEntry | null): Promise<unknown> | undefined {
    if (this.#memory) {
      this.#memory.put(key, entry === null ? null : this.#l1Entry(entry));
      return undefined;
    }
    return entry === null ? this.l1.delete(key) : this.l1.set(key, this.#l1Entry(entry));
  }

  #l1Entry(entry: StoredEntry): StoredEntry {
    if (this.#l1MaxTtlMs === undefined) return entry;
    const cap = wallNow() + this.#l1MaxTtlMs;
    return entry.expiresAt !== null && entry.expiresAt <= cap ? entry : { value: entry.value, expiresAt: cap };
  }

  async #emptyL1(counted: boolean): Promise<void> {
    this.#guard.emptied();
    if (counted) this.#counters.l1Clears++;
    await this.l1.clear();
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    if (this.#queue?.has(key)) return this.#queue.read(key);
    const consulted = this.#l1Trusted && !this.#link?.isDropping(key);
    if (consulted) {
      const local = this.#peek ? this.#peek(key) : await this.l1.get(key);
      if (local !== undefined) {
        this.#counters.l1Hits++;
        return local;
      }
    }
    const ticket = this.#guard.begin(key);
    let entry: StoredEntry | undefined;
    try {
      entry = await this.#reader.read(key);
    } catch (error) {
      this.#guard.end(ticket, false);
      return this.#staleOrThrow(key, error);
    }
    // A clean miss after L1 said it had nothing leaves nothing to drop: anything put in L1 since
    // came from a change of the key, which makes the ticket unclean.
    if (this.#guard.end(ticket, false) && (entry !== undefined || !consulted)) {
      const filling = this.#l1Put(key, entry ?? null);
      if (filling) await filling;
    }
    if (entry) this.#counters.l2Hits++;
    else this.#counters.misses++;
    return entry;
  }

  async #staleOrThrow(key: string, error: unknown): Promise<StoredEntry | undefined> {
    if (isUnavailable(error) && this.#withinGrace() && !this.#l1Emptying) {
      const local = await this.l1.get(key);
      if (local !== undefined) {
        this.#counters.staleServes++;
        return local;
      }
    }
    throw error;
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    const results: (StoredEntry | undefined)[] = new Array(keys.length);
    const fromL2: number[] = [];
    const trusted = this.#l1Trusted;
    const local = trusted ? await this.l1.getMany(keys) : [];
    keys.forEach((key, i) => {
      if (this.#queue?.has(key)) results[i] = this.#queue.read(key);
      else if (local[i] !== undefined && !this.#link?.isDropping(key)) {
        this.#counters.l1Hits++;
        results[i] = local[i];
      } else fromL2.push(i);
    });
    if (fromL2.length === 0) return results;
    const wanted = fromL2.map((i) => keys[i] as string);
    const tickets = wanted.map((key) => this.#guard.begin(key));
    let entries: (StoredEntry | undefined)[];
    try {
      entries = await this.#l2(() => this.l2.getMany(wanted));
    } catch (error) {
      for (const ticket of tickets) this.#guard.end(ticket, false);
      for (const i of fromL2) results[i] = await this.#staleOrThrow(keys[i] as string, error);
      return results;
    }
    for (const [j, i] of fromL2.entries()) {
      const entry = entries[j];
      const key = keys[i] as string;
      if (this.#guard.end(tickets[j] as ReturnType<FillGuard["begin"]>, false)) {
        const filling = this.#l1Put(key, entry ?? null);
        if (filling) await filling;
      }
      if (entry) this.#counters.l2Hits++;
      else this.#counters.misses++;
      results[i] = entry;
    }
    return results;
  }

  /**
   * The one write path: L2 first; on success L1 takes the new entry (or drops the key) unless
   * another change of the key overtook this one; then the bus. On failure L1 drops the key, so
   * it never disagrees with L2, unless the write-behind queue takes the write.
   */
  async #write<T>(
    keys: readonly string[],
    call: () => Promise<T>,
    after: (result: T) => { l1: (QueuedWrite | undefined)[]; publish: boolean },
    queued?: QueuedWrite[],
  ): Promise<T> {
    const queue = this.#queue;
    if (queue?.size && keys.some((key) => queue.has(key))) {
      // An older write of the key is still queued: going to L2 directly could land before it.
      if (!queued)
        throw new BackendUnavailableError(
          `hybrid cache: a queued write of ${JSON.stringify(keys.find((key) => queue.has(key)))} has not reached L2 yet`,
        );
      return this.#enqueue(keys, queued, undefined) as T;
    }
    const tickets = keys.map((key) => this.#guard.begin(key));
    let result: T;
    try {
      result = await this.#l2(call);
    } catch (error) {
      for (const ticket of tickets) this.#guard.end(ticket, true);
      const queueing = queued !== undefined && this.#queue !== undefined && isUnavailable(error);
      // Read before L1 drops the keys: the replay's condition is what L1 last had from L2.
      const bases = queueing ? await this.#replayBases(keys) : undefined;
      await this.l1.deleteMany(keys);
      if (queueing) return this.#enqueue(keys, queued as QueuedWrite[], error, bases) as T;
      if (!isUnavailable(error)) throw error;
      void this.#link?.publish(keys); // the write may have landed before the connection broke
      throw error;
    }
    const { l1, publish } = after(result);
    // No key was queued when this call started (see above): a write queued since is newer, and stays.
    for (const [i, key] of keys.entries()) {
      const clean = this.#guard.end(tickets[i] as ReturnType<FillGuard["begin"]>, publish);
      const next = l1[i];
      if (next === undefined) continue;
      const filling = this.#l1Put(key, clean ? next : null);
      if (filling) await filling;
    }
    // Sent in the background: the caller does not wait a round trip for other instances' sake
    // (it could not know when they have processed the message anyway); close() waits for it.
    if (publish) void this.#link?.publish(keys);
    return result;
  }

  /** Per key not queued yet, what this instance last saw of it in L2 (what L1 holds), for the replay's compare-and-set. */
  async #replayBases(keys: readonly string[]): Promise<ReplayBase[]> {
    const queue = this.#queue as WriteBehindQueue;
    const local = await this.l1.getMany(keys);
    return keys.map((key, i) => (queue.has(key) ? undefined : local[i]?.value));
  }

  /** Puts writes in the write-behind queue and L1; resolves undefined (L2 has not said what it removed). */
  async #enqueue(
    keys: readonly string[],
    writes: QueuedWrite[],
    cause: unknown,
    bases?: ReplayBase[],
  ): Promise<undefined> {
    const queue = this.#queue as WriteBehindQueue;
    queue.assertRoom(keys, cause);
    const seen = bases ?? (await this.#replayBases(keys));
    for (const [i, key] of keys.entries()) {
      const write = writes[i] as QueuedWrite;
      queue.put(key, write, seen[i]);
      this.#guard.changed(key);
      if (write) await this.l1.set(key, this.#l1Entry(write));
      else await this.l1.delete(key);
    }
    queue.schedule();
    return undefined;
  }

  async set(key: string, entry: StoredEntry): Promise<void> {
    await this.#write(
      [key],
      () => this.l2.set(key, entry),
      () => ({ l1: [entry], publish: true }),
      [entry],
    );
  }

  async setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void> {
    const keys = entries.map(({ key }) => key);
    const values = entries.map(({ entry }) => entry);
    await this.#write(
      keys,
      () => this.l2.setMany(entries),
      () => ({ l1: values, publish: true }),
      values,
    );
  }

  async add(key: string, entry: StoredEntry): Promise<boolean> {
    return this.#write(
      [key],
      () => this.l2.add(key, entry),
      (stored) => ({ l1: [stored ? entry : null], publish: stored }),
    );
  }

  async delete(key: string): Promise<boolean> {
    const hadLocal = this.#queue ? (await this.l1.get(key)) !== undefined : false;
    const removed = await this.#write(
      [key],
      () => this.l2.delete(key),
      () => ({ l1: [null], publish: true }),
      [null],
    );
    return removed === undefined ? hadLocal : removed;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    const unique = [...new Set(keys)];
    const removed = await this.#write(
      unique,
      () => this.l2.deleteMany(unique),
      () => ({ l1: unique.map(() => null), publish: true }),
      unique.map(() => null),
    );
    return removed ?? 0;
  }

  async incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    // L2 keeps the counter's expiry, which L1 does not know: drop the key rather than guess it.
    return this.#write(
      [key],
      () => this.l2.incr(key, by, expiresAtIfCreated),
      () => ({ l1: [null], publish: true }),
    );
  }

  async update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void> {
    let last: EntryUpdate;
    await this.#write(
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
    await this.#l2(() => this.l2.clear());
    this.#queue?.clear();
    await this.#emptyL1(false);
    await this.#link?.publishClear();
  }

  async gc(): Promise<number> {
    await this.l1.gc();
    return this.#l2(() => this.l2.gc());
  }

  size(): Promise<{ entries: number; bytes: number }> {
    return this.#l2(() => this.l2.size());
  }

  /** Queued writes not yet in L2. */
  get pendingWrites(): number {
    return this.#queue?.size ?? 0;
  }

  async close(): Promise<void> {
    await this.#link?.close();
    this.#queue?.close();
  }
}
