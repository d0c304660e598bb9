import { wallNow } from "../clock.js";
import { sleepUntilWoken } from "./release-signal.js";
import type { WakeChannel } from "./wake-channel.js";

/**
 * How long a waiter's place in a name's queue lasts past its last refresh (ms). A waiter
 * refreshes it while it waits, so a place outlives its waiter by at most this: a waiter that
 * crashed, hung or lost its connection holds the name back from the next one at most this long
 * (plus one poll), and on local backends not even that, since a release detects its dead pipe.
 */
export const WAITER_PLACE_MS = 1000;

/** A place is refreshed once less than this is left of it. */
const REFRESH_WHEN_LEFT_MS = WAITER_PLACE_MS / 2;

/** How often a release looks past a dead head for a live one. */
const DEAD_HEADS_SKIPPED = 4;

/** What a backend's queue says about a name at one moment. */
export interface QueueState {
  /** No unexpired lease holds the name. */
  free: boolean;
  /** The oldest place whose deadline has not passed, if any. */
  head?: string | undefined;
}

/**
 * A backend's waiter queue: places in arrival order, each with a deadline (wall clock, ms). The
 * backend's own acquire grants a free name only to the head of its live places (or to anyone
 * when there are none) and removes the winner's place, atomically; this is the rest.
 */
export interface WaiterQueue {
  /** Gives `waiter` a place at the end of the queue for `name`, or, when it has one, moves that place's deadline. */
  join(name: string, waiter: string, deadline: number): void | Promise<void>;
  /** Removes `waiter`'s place (and may drop places whose deadline passed). */
  leave(name: string, waiter: string): void | Promise<void>;
  peek(name: string, now: number): QueueState | Promise<QueueState>;
}

/**
 * Fair waiting across processes, once for every local backend: a waiter takes a place in the
 * backend's queue, sleeps until a releaser wakes it through the wake channel (or a poll finds
 * its turn), and a release wakes only the head, so waiters neither stampede nor starve. The
 * adapter supplies the queue (in its store, honoured by its acquire) and the channel.
 */
export class FairWaits {
  readonly #queue: WaiterQueue;
  readonly #channel: WakeChannel;
  /** Names this process holds a place for, with the place's deadline. */
  readonly #places = new Map<string, number>();
  /**
   * Names whose last release here woke a waiter, or whose last waiting attempt was refused: a
   * waiting attempt on them looks first (a read, which never waits for a writer) and writes only
   * when the name is free and this process is first in line. Bounded; forgetting one is harmless.
   */
  readonly #contended = new Set<string>();
  /** Names this process was just woken for: the next attempt goes straight to the write. */
  readonly #woken = new Set<string>();

  constructor(queue: WaiterQueue, channel: WakeChannel) {
    this.#queue = queue;
    this.#channel = channel;
  }

  /** This process's name in the queues. */
  get waiter(): string {
    return this.#channel.address;
  }

  /** Takes a place in the queue for `name`, or refreshes this process's place when it is due. */
  async keepPlace(name: string): Promise<void> {
    const deadline = this.#places.get(name);
    if (deadline !== undefined && deadline - wallNow() > REFRESH_WHEN_LEFT_MS) return;
    await this.#join(name);
  }

  async #join(name: string): Promise<void> {
    // The pipe must exist before anyone can read this address from the queue.
    await this.#channel.ready();
    const deadline = wallNow() + WAITER_PLACE_MS;
    if (this.#places.size > 10_000) this.#places.clear();
    this.#places.set(name, deadline);
    await this.#queue.join(name, this.waiter, deadline);
  }

  /** After a grant: the backend removed the place; returns whether there was one to forget. */
  granted(name: string): boolean {
    return this.#places.delete(name);
  }

  /**
   * Before an attempt made while waiting: false when the name is known to be contended and a
   * look at the queue shows it is not this process's to take now (the write is then skipped).
   */
  async worthAttempt(name: string): Promise<boolean> {
    if (!this.#contended.has(name) || this.#woken.delete(name)) return true;
    const { free, head } = await this.#queue.peek(name, wallNow());
    return free && (head === undefined || head === this.waiter);
  }

  /** After an attempt made while waiting was refused. */
  refused(name: string): void {
    this.#markContended(name);
  }

  #markContended(name: string): void {
    if (this.#contended.size >= 1024) this.#contended.clear();
    this.#contended.add(name);
  }

  /**
   * Sleeps until woken for `key` or `timeoutMs` passes; then true when an attempt is worth
   * making (woken, or the name is free and this process is first in line), false when not.
   * A poll that finds the name free but held back by another head re-sends that head its
   * wake-up, so one lost hint costs one poll of anyone waiting.
   */
  async wait(name: string, key: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    await this.keepPlace(name);
    if (await sleepUntilWoken(timeoutMs, signal, this.#channel.source(key))) {
      // Woken by a release: the look before the write would only repeat what the releaser saw.
      if (this.#woken.size >= 1024) this.#woken.clear();
      this.#woken.add(name);
      return true;
    }
    const state = await this.#queue.peek(name, wallNow());
    if (!state.free) return false;
    if (state.head === undefined || state.head === this.waiter) return true;
    if (!this.#channel.send(state.head, key)) {
      await this.#queue.leave(name, state.head);
      return true;
    }
    return false;
  }

  /**
   * After this process released `name`: wakes the head of its queue, skipping heads whose
   * process is gone. `head` is the head when the release already read it (one statement on
   * SQLite), null when it found none; left out, the queue is asked.
   */
  async released(name: string, key: string, head?: string | null): Promise<void> {
    let next = head === undefined ? (await this.#queue.peek(name, wallNow())).head : (head ?? undefined);
    if (next === undefined) this.#contended.delete(name);
    else this.#markContended(name);
    for (let skipped = 0; next !== undefined && !this.#channel.send(next, key); skipped++) {
      await this.#queue.leave(name, next);
      if (skipped + 1 >= DEAD_HEADS_SKIPPED) return;
      next = (await this.#queue.peek(name, wallNow())).head;
    }
  }

  /** After this process released `name` and the backend saw nobody in its queue (the common case: no await). */
  releasedToNobody(name: string): void {
    this.#contended.delete(name);
  }

  /** A wait that ended without the lease: gives up the place, and passes a free name on to the next in line. */
  async stopWaiting(name: string, key: string): Promise<void> {
    if (!this.#places.delete(name)) return;
    await this.#queue.leave(name, this.waiter);
    const state = await this.#queue.peek(name, wallNow());
    if (state.free && state.head !== undefined) await this.released(name, key);
  }
}
