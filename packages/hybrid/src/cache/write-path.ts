import { BackendUnavailableError } from "@stowage/core";
import type { FillTicket } from "./fill-guard.js";
import { type HybridState, isUnavailable } from "./hybrid-state.js";
import type { QueuedWrite, ReplayBase, WriteBehindQueue } from "./write-behind.js";

/** What a write leaves in L1 per key (an entry, null to drop it, undefined to leave L1 alone) and whether the bus hears of it. */
export interface WriteOutcome {
  l1: (QueuedWrite | undefined)[];
  publish: boolean;
}

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
 * Writes: L2 first; on success L1 takes the new entry (or drops the key) unless another change
 * of the key overtook this one; then the bus. On failure L1 drops the key, so it never disagrees
 * with L2, unless the write-behind queue takes the write (and later replays it).
 */
export class WritePath {
  readonly #state: HybridState;

  constructor(state: HybridState) {
    this.#state = state;
  }

  /** Runs one write of `keys`; `queued` is what the write-behind queue keeps of it when L2 is down (none: not queueable). */
  async write<T>(
    keys: readonly string[],
    call: () => Promise<T>,
    after: (result: T) => WriteOutcome,
    queued?: QueuedWrite[],
  ): Promise<T> {
    const state = this.#state;
    const queue = state.queue;
    if (queue?.size && keys.some((key) => queue.has(key))) {
      // An older write of the key is still queued: going to L2 directly could land before it.
      if (!queued)
        throw new BackendUnavailableError(
          `hybrid cache: a queued write of ${JSON.stringify(keys.find((key) => queue.has(key)))} has not reached L2 yet`,
        );
      return this.#enqueue(keys, queued, undefined) as T;
    }
    const tickets = keys.map((key) => state.guard.begin(key));
    let result: T;
    try {
      result = await state.runL2(call);
    } catch (error) {
      for (const ticket of tickets) state.guard.end(ticket, true);
      const queueing = queued !== undefined && state.queue !== undefined && isUnavailable(error);
      // Read before L1 drops the keys: the replay's condition is what L1 last had from L2.
      const bases = queueing ? await this.#replayBases(keys) : undefined;
      await state.l1.driver.deleteMany(keys);
      if (queueing) return this.#enqueue(keys, queued as QueuedWrite[], error, bases) as T;
      if (!isUnavailable(error)) throw error;
      void state.link?.publish(keys); // the write may have landed before the connection broke
      throw error;
    }
    const { l1, publish } = after(result);
    // No key was queued when this call started (see above): a write queued since is newer, and stays.
    for (const [i, key] of keys.entries()) {
      const clean = state.guard.end(tickets[i] as FillTicket, publish);
      const next = l1[i];
      if (next === undefined) continue;
      const filling = state.l1.put(key, clean ? next : null);
      if (filling) await filling;
    }
    // Sent in the background: the caller does not wait a round trip for other instances' sake
    // (it could not know when they have processed the message anyway); close() waits for it.
    if (publish) void state.link?.publish(keys);
    return result;
  }

  /**
   * Sends a queued write to L2 as a compare-and-set on the value this instance saw when it
   * queued it (or on the key being absent): when another instance wrote the key since, its newer
   * value stays, the queued write is dropped (counted), and L1 forgets the key so the next read
   * fetches the newer value.
   */
  async replay(key: string, write: QueuedWrite, base: ReplayBase): Promise<ReplayBase> {
    const state = this.#state;
    let conflict = false;
    let held: ReplayBase;
    await state.breaker.run(() =>
      state.l2.update(key, (current) => {
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
      state.counters.writeBehindConflicts++;
      state.guard.changed(key);
      const dropping = state.l1.put(key, null);
      if (dropping) await dropping;
      return held;
    }
    void state.link?.publish([key]);
    return held;
  }

  /** Per key not queued yet, what this instance last saw of it in L2 (what L1 holds), for the replay's compare-and-set. */
  async #replayBases(keys: readonly string[]): Promise<ReplayBase[]> {
    const queue = this.#state.queue as WriteBehindQueue;
    const local = await this.#state.l1.driver.getMany(keys);
    return keys.map((key, i) => (queue.has(key) ? undefined : local[i]?.value));
  }

  /** Puts writes in the write-behind queue and L1; resolves undefined (L2 has not said what it removed). */
  async #enqueue(
    keys: readonly string[],
    writes: QueuedWrite[],
    cause: unknown,
    bases?: ReplayBase[],
  ): Promise<undefined> {
    const state = this.#state;
    const queue = state.queue as WriteBehindQueue;
    queue.assertRoom(keys, cause);
    const seen = bases ?? (await this.#replayBases(keys));
    for (const [i, key] of keys.entries()) {
      const write = writes[i] as QueuedWrite;
      queue.put(key, write, seen[i]);
      state.guard.changed(key);
      const filling = state.l1.put(key, write ?? null);
      if (filling) await filling;
    }
    queue.schedule();
    return undefined;
  }
}
