/** What `begin` hands back: the key's change count and the L1 epoch when the L2 call started. */
export interface FillTicket {
  key: string;
  changes: number;
  epoch: number;
}

/**
 * Keeps an L2 answer from overwriting a newer truth in L1. An L2 read or write may finish after
 * another write or an invalidation of the same key has landed; its result may then be older
 * than L2, so it must not go into L1. Keys are tracked only while an L2 call on them is under way.
 */
export class FillGuard {
  readonly #pending = new Map<string, { calls: number; changes: number }>();
  #epoch = 0;

  /** Marks the start of an L2 call on `key`. */
  begin(key: string): FillTicket {
    let state = this.#pending.get(key);
    if (!state) {
      state = { calls: 0, changes: 0 };
      this.#pending.set(key, state);
    }
    state.calls++;
    return { key, changes: state.changes, epoch: this.#epoch };
  }

  /** Ends the call; true when nothing changed the key (or emptied L1) since `begin`, so L1 may take its result. */
  end(ticket: FillTicket, wrote: boolean): boolean {
    const state = this.#pending.get(ticket.key);
    if (!state) return false;
    const clean = state.changes === ticket.changes && this.#epoch === ticket.epoch;
    if (wrote) state.changes++;
    if (--state.calls === 0) this.#pending.delete(ticket.key);
    return clean;
  }

  /** A change of `key` arrived from elsewhere (an invalidation, a failed write). */
  changed(key: string): void {
    const state = this.#pending.get(key);
    if (state) state.changes++;
  }

  /** L1 was emptied: no call under way may fill it with what it read before. */
  emptied(): void {
    this.#epoch++;
  }
}
