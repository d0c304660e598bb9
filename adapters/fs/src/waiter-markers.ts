import { readlinkSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { monotonicNow, wallNow } from "@stowage/core";
import { errnoOf, unlinkQuietly } from "./atomic-file.js";

/** A process that released a name this recently steps aside when others are waiting for it. */
const POLITE_MS = 50;

/** Takes in a row a process may make past waiting processes before it steps aside. */
const STREAK = 8;

let markerSequence = 0;

/**
 * Fairness between processes cycling one lock. A waiter leaves a marker in the lease log's
 * directory ("w.<pid>.<n>", a symlink to the wall-clock time it stops counting); a process that
 * has just released the name and finds a live marker from someone else does not take the name
 * back more than STREAK times in a row, but then waits for the next release like everyone else,
 * so the lease goes to a process that was already waiting. (Stepping aside on every release
 * was fairest but cost two thirds of the throughput under contention: each hand-off waits for
 * a sleeping process to be woken and scheduled; a streak of 8 kept the spread between workers
 * within about 2-3x at the throughput of never stepping aside, in the bench's contention
 * scenario on this 2-core machine under load 10-17, which is noisy.) The markers ride on
 * the directory listing every acquire reads anyway: the uncontended path pays nothing.
 * A marker outlives its waiter by at most its own expiry, and a process steps aside only within
 * POLITE_MS of its own release, so a stale marker costs at most one wait.
 */
export class WaiterMarkers {
  readonly #released = new Map<string, number>();
  readonly #markers = new Map<string, string>();
  readonly #streak = new Map<string, number>();

  released(name: string): void {
    if (this.#released.size > 10_000) this.#released.clear();
    this.#released.set(name, monotonicNow());
  }

  /**
   * True when this process released `name` moments ago, another process is waiting for it, and
   * this process has already taken it back STREAK times in a row past waiters.
   */
  shouldStepAside(name: string, dir: string, waiters: readonly string[]): boolean {
    if (!this.#othersWaiting(name, dir, waiters)) {
      this.#streak.delete(name);
      return false;
    }
    const streak = (this.#streak.get(name) ?? 0) + 1;
    if (streak < STREAK) {
      if (this.#streak.size > 10_000) this.#streak.clear();
      this.#streak.set(name, streak);
      return false;
    }
    this.#streak.delete(name);
    return true;
  }

  #othersWaiting(name: string, dir: string, waiters: readonly string[]): boolean {
    if (waiters.length === 0) return false;
    const releasedAt = this.#released.get(name);
    if (releasedAt === undefined || monotonicNow() - releasedAt > POLITE_MS) return false;
    const own = this.#markers.get(name);
    const now = wallNow();
    for (const waiter of waiters) {
      if (own !== undefined && basename(own) === waiter) continue;
      let until: number;
      try {
        until = Number(readlinkSync(join(dir, waiter)));
      } catch {
        continue;
      }
      if (until > now) return true;
    }
    return false;
  }

  /** Marks this process as waiting for `name` until `untilMs` (wall clock). */
  mark(name: string, dir: string, untilMs: number): void {
    const old = this.#markers.get(name);
    const path = join(dir, `w.${process.pid}.${++markerSequence}`);
    try {
      symlinkSync(String(Math.ceil(untilMs)), path);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return; // no log yet: nothing to wait behind
      throw error;
    }
    if (this.#markers.size > 10_000) this.#markers.clear();
    this.#markers.set(name, path);
    if (old !== undefined) unlinkQuietly(old);
  }

  /** This process no longer waits for `name`. */
  unmark(name: string): void {
    const path = this.#markers.get(name);
    if (path === undefined) return;
    this.#markers.delete(name);
    unlinkQuietly(path);
  }
}
