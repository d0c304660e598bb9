import { publishCacheHit, publishCacheMiss, type StoredEntry } from "@stowage/core";
import { L2Reader } from "../tiers/l2-reader.js";
import type { FillTicket } from "./fill-guard.js";
import { type HybridState, isUnavailable } from "./hybrid-state.js";

/** Reads: L1 when trusted, then L2 (filling L1 with L2's expiry), or a stale L1 entry within the grace period. */
export class ReadPath {
  readonly #state: HybridState;
  readonly #reader: L2Reader;

  constructor(state: HybridState) {
    this.#state = state;
    this.#reader = new L2Reader(state.l2, (call) => state.runL2(call));
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    const state = this.#state;
    if (state.queue?.has(key)) return state.queue.read(key);
    const consulted = state.l1Trusted && !state.link?.isDropping(key);
    if (consulted) {
      let local = state.l1.peek(key);
      if (local instanceof Promise) local = await local;
      if (local !== undefined) {
        state.counters.l1Hits++;
        publishCacheHit(() => ({ namespace: state.namespace, key, tier: "l1" }));
        return local;
      }
    }
    const ticket = state.guard.begin(key);
    let entry: StoredEntry | undefined;
    try {
      entry = await this.#reader.read(key);
    } catch (error) {
      state.guard.end(ticket, false);
      return this.#staleOrThrow(key, error);
    }
    // A clean miss after L1 said it had nothing leaves nothing to drop: anything put in L1 since
    // came from a change of the key, which makes the ticket unclean.
    if (state.guard.end(ticket, false) && (entry !== undefined || !consulted)) {
      const filling = state.l1.put(key, entry ?? null);
      if (filling) await filling;
    }
    this.#counted(key, entry);
    return entry;
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    const state = this.#state;
    const results: (StoredEntry | undefined)[] = new Array(keys.length);
    const fromL2: number[] = [];
    const local = state.l1Trusted ? await state.l1.driver.getMany(keys) : [];
    keys.forEach((key, i) => {
      if (state.queue?.has(key)) results[i] = state.queue.read(key);
      else if (local[i] !== undefined && !state.link?.isDropping(key)) {
        state.counters.l1Hits++;
        publishCacheHit(() => ({ namespace: state.namespace, key, tier: "l1" }));
        results[i] = local[i];
      } else fromL2.push(i);
    });
    if (fromL2.length === 0) return results;
    const wanted = fromL2.map((i) => keys[i] as string);
    const tickets = wanted.map((key) => state.guard.begin(key));
    let entries: (StoredEntry | undefined)[];
    try {
      entries = await state.runL2(() => state.l2.getMany(wanted));
    } catch (error) {
      for (const ticket of tickets) state.guard.end(ticket, false);
      for (const i of fromL2) results[i] = await this.#staleOrThrow(keys[i] as string, error);
      return results;
    }
    for (const [j, i] of fromL2.entries()) {
      const entry = entries[j];
      const key = keys[i] as string;
      if (state.guard.end(tickets[j] as FillTicket, false)) {
        const filling = state.l1.put(key, entry ?? null);
        if (filling) await filling;
      }
      this.#counted(key, entry);
      results[i] = entry;
    }
    return results;
  }

  /** Counts (and publishes) what L2 answered for `key`. */
  #counted(key: string, entry: StoredEntry | undefined): void {
    const state = this.#state;
    if (entry) {
      state.counters.l2Hits++;
      publishCacheHit(() => ({ namespace: state.namespace, key, tier: "l2" }));
    } else {
      state.counters.misses++;
      publishCacheMiss(() => ({ namespace: state.namespace, key, tier: "l2" }));
    }
  }

  /** L1's entry when L2 is unreachable within the grace period; otherwise the error. */
  async #staleOrThrow(key: string, error: unknown): Promise<StoredEntry | undefined> {
    const state = this.#state;
    if (isUnavailable(error) && state.withinGrace() && !state.l1Emptying) {
      const local = await state.l1.driver.get(key);
      if (local !== undefined) {
        state.counters.staleServes++;
        publishCacheHit(() => ({ namespace: state.namespace, key, tier: "l1", stale: true }));
        return local;
      }
    }
    throw error;
  }
}
