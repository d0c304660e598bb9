import { randomBytes } from "node:crypto";
import type { WakeSource } from "./release-signal.js";

/**
 * How a releaser wakes the waiter that is next for a lock name, in whatever process it runs.
 * A wake-up is a hint: exclusion and fencing stay in the backend's atomic acquire, and a
 * lost wake-up costs the waiter one poll.
 */
export interface WakeChannel {
  /** This channel's address, stored in a name's waiter queue so that a releaser can reach it. */
  readonly address: string;
  /** Resolves once a wake-up sent to `address` would arrive (call it before joining a queue). */
  ready(): Promise<void>;
  /** The wake source for `key` (a namespace-qualified lock name), for sleepUntilWoken. */
  source(key: string): WakeSource;
  /**
   * Wakes whoever listens for `key` at `address`. False only when that address certainly has
   * nobody listening any more (its process is gone), so the caller may drop its queue place.
   */
  send(address: string, key: string): boolean;
  close(): void;
}

/** A random address: the process id (base 36) and 48 random bits, safe as a file name. */
export function newWakeAddress(): string {
  return `${process.pid.toString(36)}-${randomBytes(6).toString("hex")}`;
}

/** Addresses this module hands out; anything else read from a queue is ignored (a damaged row never names a path). */
export const WAKE_ADDRESS = /^[0-9a-z]{1,13}-[0-9a-f]{12}$/;

/** Listeners per key, shared by the channels below. */
export class WakeListeners {
  readonly #byKey = new Map<string, Set<() => void>>();

  source(key: string): WakeSource {
    return (wake) => {
      let set = this.#byKey.get(key);
      if (!set) {
        set = new Set();
        this.#byKey.set(key, set);
      }
      set.add(wake);
      return () => {
        set.delete(wake);
        if (set.size === 0 && this.#byKey.get(key) === set) this.#byKey.delete(key);
      };
    };
  }

  /** Wakes every listener of `key` in this process; true when there was one. */
  wake(key: string): boolean {
    const set = this.#byKey.get(key);
    if (!set) return false;
    for (const wake of [...set]) wake();
    return true;
  }
}
