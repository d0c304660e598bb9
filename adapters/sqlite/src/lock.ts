import { randomUUID } from "node:crypto";
import {
  type LeaseGrant,
  type LockDriver,
  monotonicNow,
  type ReleaseSignal,
  sleepUntilWoken,
  wallNow,
} from "@stowage/core";
import type Database from "better-sqlite3";
import { openFenceEpoch } from "./fence-epoch.js";
import type { SqliteFile } from "./sqlite-file.js";

const SQL = {
  lease: "SELECT token, expires_at AS expiresAt FROM lock_names WHERE namespace = ? AND name = ? AND expires_at > ?",
  // One read for the common case: the lease's expiry and whether anyone queues for the name.
  state: `SELECT (SELECT expires_at FROM lock_names WHERE namespace = ? AND name = ?) AS expiresAt,
                 EXISTS (SELECT 1 FROM lock_waiters WHERE namespace = ? AND name = ?) AS queued`,
  waiters: "SELECT waiter, deadline FROM lock_waiters WHERE namespace = ? AND name = ? ORDER BY since, waiter",
  // The whole acquisition in one statement. A name never taken is inserted with this open's epoch
  // floor (nobody can queue for a name that has no row). Otherwise the row's counter moves on, to at
  // least the floor, only when its lease has expired or been released and the oldest live waiter,
  // if any, is this process.
  acquire: `INSERT INTO lock_names (namespace, name, token, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (namespace, name) DO UPDATE SET token = max(token + 1, excluded.token), expires_at = excluded.expires_at
            WHERE expires_at <= ?
              AND coalesce((SELECT waiter FROM lock_waiters WHERE namespace = ? AND name = ? AND deadline > ?
                            ORDER BY since, waiter LIMIT 1), ?) = ?
            RETURNING token`,
  extend: `UPDATE lock_names SET expires_at = ?
           WHERE namespace = ? AND name = ? AND token = ? AND expires_at > ?`,
  // Clears the expiry and keeps the row, whose token is the fencing counter. An expired lease is
  // left as it is: it is already free, and that holder's release must return false anyway.
  release: "UPDATE lock_names SET expires_at = 0 WHERE namespace = ? AND name = ? AND token = ? AND expires_at > ?",
  // A waiter keeps its place (since) while it keeps coming back before its deadline.
  wait: `INSERT INTO lock_waiters (namespace, name, waiter, since, deadline) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (namespace, name, waiter) DO UPDATE SET deadline = excluded.deadline`,
  counters: "SELECT name, token FROM lock_names WHERE namespace = ? AND name > ? ORDER BY name LIMIT 500",
  // The row's token is also the live lease's, so it moves only while the name is free (a new row is free: expires_at 0).
  raiseFence: `INSERT INTO lock_names (namespace, name, token, expires_at) VALUES (?, ?, ?, 0)
               ON CONFLICT (namespace, name) DO UPDATE SET token = max(token, excluded.token) WHERE expires_at <= ?
               RETURNING token`,
  counter: "SELECT token FROM lock_names WHERE namespace = ? AND name = ?",
  leaveQueue: "DELETE FROM lock_waiters WHERE namespace = ? AND name = ? AND (waiter = ? OR deadline <= ?)",
} as const;

type Statements = { [K in keyof typeof SQL]: Database.Statement };

/** How long past its announced pause a waiter keeps its place: longer lets a slow process keep it, shorter frees a dead one's. */
const WAITER_GRACE_MS = 250;

/** Past this many names with a place kept in a queue, places whose wait has lapsed are forgotten. */
const QUEUED_NAMES_PRUNE_AT = 256;

/**
 * One namespace of locks in the shared database file. Every lock operation is one autocommit
 * statement, which SQLite serialises across every process that opens the file (the WAL writer
 * lock). Expiry is judged on the wall clock, because other processes read the stored times.
 */
export class SqliteLockDriver implements LockDriver {
  readonly #namespace: string;
  readonly #sql: Statements;
  /** Wakes waiters of this process when a lease of this process is released; other processes poll. */
  readonly #released: ReleaseSignal;
  /** This driver's place in the waiter queues; the core's WaitQueue lets one caller per process poll a name. */
  readonly #waiter = randomUUID();
  /** Names whose queue holds a row of this driver, with that row's deadline: removed once the name is won. */
  readonly #queuedFor = new Map<string, number>();
  /** Every token this driver hands out is at least this (src/fence-epoch.ts). */
  readonly #tokenFloor: bigint;

  constructor(file: SqliteFile, namespace: string, released: ReleaseSignal) {
    this.#namespace = namespace;
    this.#released = released;
    this.#sql = file.use(() => {
      const statements = Object.fromEntries(
        Object.entries(SQL).map(([name, sql]) => [name, file.db.prepare(sql)]),
      ) as Statements;
      // Tokens are 64-bit counters: read them as bigint, never as a rounded number.
      statements.lease.safeIntegers(true);
      statements.acquire.safeIntegers(true);
      statements.counters.safeIntegers(true);
      statements.raiseFence.safeIntegers(true);
      statements.counter.safeIntegers(true);
      return statements;
    });
    this.#tokenFloor = openFenceEpoch(file);
  }

  /** Whether the name is free and no other process waits ahead of this one (the acquire statement's test, as a read). */
  #mayTake(name: string, now: number): boolean {
    const state = this.#sql.state.get(this.#namespace, name, this.#namespace, name) as {
      expiresAt: number | null;
      queued: number;
    };
    if (state.expiresAt !== null && state.expiresAt > now) return false;
    if (state.queued === 0) return true;
    const waiters = this.#sql.waiters.all(this.#namespace, name) as { waiter: string; deadline: number }[];
    const first = waiters.find((row) => row.deadline > now);
    return first === undefined || first.waiter === this.#waiter;
  }

  async tryAcquire(name: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    // The clock is read before the statement waits for the writer lock, as the core times the
    // lease from before the call: the stored expiry is never earlier than the holder's own.
    const now = wallNow();
    const ns = this.#namespace;
    const waiter = this.#waiter;
    const row = this.#sql.acquire.get(
      ns,
      name,
      this.#tokenFloor + 1n,
      now + ttlMs,
      now,
      ns,
      name,
      now,
      waiter,
      waiter,
    ) as { token: bigint } | undefined;
    if (row === undefined) return undefined;
    // Won after waiting: give up the place in the queue, and drop places of waiters that are gone.
    if (this.#queuedFor.delete(name)) this.#sql.leaveQueue.run(ns, name, waiter, now);
    return { token: row.token };
  }

  async extend(name: string, token: bigint, ttlMs: number): Promise<boolean> {
    const now = wallNow();
    return this.#sql.extend.run(now + ttlMs, this.#namespace, name, token, now).changes === 1;
  }

  async release(name: string, token: bigint): Promise<boolean> {
    const released = this.#sql.release.run(this.#namespace, name, token, wallNow()).changes === 1;
    if (released) this.#released.notify(this.#eventName(name));
    return released;
  }

  async inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined> {
    const lease = this.#sql.lease.get(this.#namespace, name, wallNow()) as
      | { token: bigint; expiresAt: bigint }
      | undefined;
    return lease && { token: lease.token, expiresAt: Number(lease.expiresAt) };
  }

  async *fencingCounters(): AsyncIterable<{ name: string; token: bigint }> {
    // Pages by name, so no statement stays open across the caller's awaits.
    for (let after = ""; ; ) {
      const rows = this.#sql.counters.all(this.#namespace, after) as {
        name: string;
        token: bigint;
      }[];
      for (const row of rows) yield row;
      if (rows.length < 500) return;
      after = (rows.at(-1) as { name: string }).name;
    }
  }

  /** Undefined while a lease holds the name below `atLeast`: its token is the counter, and changing it would take the lease from its holder. */
  async raiseFence(name: string, atLeast: bigint): Promise<bigint | undefined> {
    const raised = this.#sql.raiseFence.get(this.#namespace, name, atLeast, wallNow()) as { token: bigint } | undefined;
    if (raised) return raised.token;
    const current = (this.#sql.counter.get(this.#namespace, name) as { token: bigint } | undefined)?.token;
    return current !== undefined && current >= atLeast ? current : undefined;
  }

  /**
   * Joins (or stays in) the name's waiter queue until `timeoutMs` from now, then sleeps, checking
   * with a cheap read every few ms whether the name is free for this process. A release in this
   * process wakes at once.
   */
  async waitForRelease(name: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const now = wallNow();
    const deadline = now + timeoutMs + WAITER_GRACE_MS;
    this.#sql.wait.run(this.#namespace, name, this.#waiter, now, deadline);
    this.#rememberQueued(name, deadline, now);
    const wakeOnRelease = this.#released.source(this.#eventName(name));
    const step = Math.max(2, Math.floor(timeoutMs / 8));
    const until = monotonicNow() + timeoutMs;
    // An abandoned wait gives up its place in the queue in stopWaiting, which core calls next.
    for (let left = timeoutMs; left > 0; left = until - monotonicNow()) {
      // Woken by a release in this process: the caller retries at once.
      if (await sleepUntilWoken(Math.min(step, left), signal, wakeOnRelease)) return;
      if (this.#mayTake(name, wallNow())) return;
    }
  }

  /** A wait that ended without the lease (timeout or abort) leaves the queue, so it holds back no taker of a free name. */
  async stopWaiting(name: string): Promise<void> {
    if (!this.#queuedFor.delete(name)) return;
    this.#sql.leaveQueue.run(this.#namespace, name, this.#waiter, wallNow());
  }

  /** Notes this driver's queue row for `name`, forgetting lapsed ones now and then so the map stays small. */
  #rememberQueued(name: string, deadline: number, now: number): void {
    this.#queuedFor.set(name, deadline);
    if (this.#queuedFor.size < QUEUED_NAMES_PRUNE_AT) return;
    for (const [queued, until] of this.#queuedFor) if (until <= now) this.#queuedFor.delete(queued);
  }

  #eventName(name: string): string {
    return `${this.#namespace}\0${name}`;
  }
}
