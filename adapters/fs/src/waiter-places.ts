import { readdirSync, readlinkSync, renameSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { type QueueState, type WaiterQueue, wallNow } from "@stowage/core";
import { errnoOf, unlinkQuietly } from "./atomic-file.js";
import type { LeaseLog } from "./lease-log.js";

/** Digits of a place's arrival time (µs since the epoch), so that names sort by arrival. */
const SINCE_DIGITS = 17;

/** A place's parts, from its name "w.<since µs>.<waiter>" (a marker of an older version, "w.<pid>.<n>", parses too). */
function parsePlace(entry: string): { since: string; waiter: string } | undefined {
  const parts = entry.split(".");
  if (parts.length !== 3 || parts[0] !== "w") return undefined;
  return { since: (parts[1] as string).padStart(SINCE_DIGITS, "0"), waiter: parts[2] as string };
}

function readDeadline(path: string): number {
  try {
    return Number(readlinkSync(path));
  } catch {
    return 0;
  }
}

/**
 * The waiter queue of one namespace's locks, kept in each name's lease-log directory: a place
 * is a symlink "w.<since>.<waiter>" whose target is its deadline (wall-clock ms). The directory
 * listing every acquire reads anyway carries the places, so the acquire's check of the head
 * costs one readlink; a refresh replaces the symlink by rename (atomic). Arrival order is the
 * name's order (since, then waiter); an acquire that reads the listing just before a new place
 * appears can only be ahead of that place, so order is kept without a lock.
 */
export class WaiterPlaces {
  readonly #log: (name: string) => LeaseLog;
  /** This process's places: name → entry name. */
  readonly #own = new Map<string, string>();

  constructor(log: (name: string) => LeaseLog) {
    this.#log = log;
  }

  /** The oldest place among `entries` (a listing of `dir`) whose deadline has not passed. */
  head(dir: string, entries: readonly string[], now: number): string | undefined {
    const places = entries
      .map((entry) => ({ entry, place: parsePlace(entry) }))
      .filter((p): p is { entry: string; place: { since: string; waiter: string } } => p.place !== undefined)
      .sort((a, b) =>
        a.place.since < b.place.since
          ? -1
          : a.place.since > b.place.since
            ? 1
            : a.place.waiter < b.place.waiter
              ? -1
              : 1,
      );
    for (const { entry, place } of places) if (readDeadline(join(dir, entry)) > now) return place.waiter;
    return undefined;
  }

  /**
   * The head of `name`'s queue after a release: one listing and a readlink per place, without
   * reading the lease log's newest entry (the releaser knows it just wrote a release).
   */
  headAfterRelease(name: string, now: number): string | undefined {
    const dir = this.#log(name).dir;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return undefined;
    }
    return this.head(dir, entries, now);
  }

  /** Removes this process's place for `name`, if it has one (after winning the name). */
  forget(name: string): void {
    const entry = this.#own.get(name);
    if (entry === undefined) return;
    this.#own.delete(name);
    unlinkQuietly(join(this.#log(name).dir, entry));
  }

  queue(): WaiterQueue {
    return {
      join: (name, waiter, deadline) => this.#join(name, waiter, deadline),
      leave: (name, waiter) => this.#leave(name, waiter),
      peek: (name, now): QueueState => {
        const state = this.#log(name).read();
        return { free: state.expiresAt <= now, head: this.head(this.#log(name).dir, state.waiters, now) };
      },
    };
  }

  #join(name: string, waiter: string, deadline: number): void {
    const dir = this.#log(name).dir;
    let entry = this.#own.get(name);
    entry ??= `w.${String(Math.round(wallNow() * 1000)).padStart(SINCE_DIGITS, "0")}.${waiter}`;
    const temp = join(dir, `t.${waiter}`);
    try {
      unlinkQuietly(temp);
      symlinkSync(String(Math.ceil(deadline)), temp);
      renameSync(temp, join(dir, entry));
    } catch (error) {
      // No log directory: the name was never taken, so there is nothing to wait behind.
      if (errnoOf(error) === "ENOENT") return;
      throw error;
    }
    if (this.#own.size > 10_000) this.#own.clear();
    this.#own.set(name, entry);
  }

  #leave(name: string, waiter: string): void {
    const dir = this.#log(name).dir;
    const own = this.#own.get(name);
    if (own?.endsWith(`.${waiter}`)) {
      this.#own.delete(name);
      unlinkQuietly(join(dir, own));
      return;
    }
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    const now = wallNow();
    for (const entry of entries) {
      const place = parsePlace(entry);
      if (place && (place.waiter === waiter || readDeadline(join(dir, entry)) <= now)) unlinkQuietly(join(dir, entry));
    }
  }
}
