import { randomUUID } from "node:crypto";
import type { EventEmitter } from "node:events";
import { type LeaseGrant, type LockDriver, monotonicNow, sleep, wallNow } from "@stowage/core";
import type Database from "better-sqlite3";
import type { SqliteFile } from "./sqlite-file.js";

const SQL = {
  lease: "SELECT token, expires_at AS expiresAt FROM lock_leases WHERE namespace = ? AND name = ?",
  // One read for the common case: the lease's expiry and whether anyone queues for the name.
  state: `SELECT (SELECT expires_at FROM lock_leases WHERE namespace = ? AND name = ?) AS expiresAt,
                 EXISTS (SELECT 1 FROM lock_waiters WHERE namespace = ? AND name = ?) AS queued`,
  waiters: "SELECT waiter, deadline FROM lock_waiters WHERE namespace = ? AND name = ? ORDER BY since, waiter",
  nextToken: `INSERT INTO lock_fencing (namespace, name, last_token) VALUES (?, ?, 1)
              ON CONFLICT (namespace, name) DO UPDATE SET last_token = last_token + 1
              RETURNING last_token AS token`,
  grant: `INSERT INTO lock_leases (namespace, name, token, expires_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (namespace, name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at`,
  extend: `UPDATE lock_leases SET expires_at = ?
           WHERE namespace = ? AND name = ? AND token = ? AND expires_at > ?`,
  release: "DELETE FROM lock_leases WHERE namespace = ? AND name = ? AND token = ? RETURNING expires_at AS expiresAt",
  // A waiter keeps its place (since) while it keeps coming back before its deadline.
  wait: `INSERT INTO lock_waiters (namespace, name, waiter, since, deadline) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (namespace, name, waiter) DO UPDATE SET deadline = excluded.deadline`,
  leaveQueue: "DELETE FROM lock_waiters WHERE namespace = ? AND name = ? AND (waiter = ? OR deadline <= ?)",
} as const;

type Statements = { [K in keyof typeof SQL]: Database.Statement };

/** How long past its announced pause a waiter keeps its place: longer lets a slow process keep it, shorter frees a dead one's. */
const WAITER_GRACE_MS = 250;

/**
 * One namespace of locks in the shared database file. Each write is one transaction taken up
 * front (BEGIN IMMEDIATE), which SQLite serialises across every process that opens the file.
 * Expiry is judged on the wall clock, because other processes read the stored times.
 */
export class SqliteLockDriver implements LockDriver {
  readonly #file: SqliteFile;
  readonly #namespace: string;
  readonly #sql: Statements;
  /** Wakes waiters of this process when a lease of this process is released; other processes poll. */
  readonly #released: EventEmitter;
  /** This driver's place in the waiter queues; the core's WaitQueue lets one caller per process poll a name. */
  readonly #waiter = randomUUID();

  constructor(file: SqliteFile, namespace: string, released: EventEmitter) {
    this.#file = file;
    this.#namespace = namespace;
    this.#released = released;
    this.#sql = file.use(() => {
      const statements = Object.fromEntries(
        Object.entries(SQL).map(([name, sql]) => [name, file.db.prepare(sql)]),
      ) as Statements;
      // Tokens are 64-bit counters: read them as bigint, never as a rounded number.
      statements.lease.safeIntegers(true);
      statements.nextToken.safeIntegers(true);
      return statements;
    });
  }

  /** Whether the name is free and no other process waits ahead of this one, and whether the queue has rows at all. */
  #turn(name: string, now: number): { mayTake: boolean; queued: boolean } {
    const state = this.#sql.state.get(this.#namespace, name, this.#namespace, name) as {
      expiresAt: number | null;
      queued: number;
    };
    if (state.expiresAt !== null && state.expiresAt > now) return { mayTake: false, queued: true };
    if (state.queued === 0) return { mayTake: true, queued: false };
    const waiters = this.#sql.waiters.all(this.#namespace, name) as { waiter: string; deadline: number }[];
    const first = waiters.find((row) => row.deadline > now);
    return { mayTake: first === undefined || first.waiter === this.#waiter, queued: waiters.length > 0 };
  }

  async tryAcquire(name: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    return this.#file.write(() => {
      // The clock is read after the writer lock is taken: a wait for the lock must not shorten the lease.
      const now = wallNow();
      const turn = this.#turn(name, now);
      if (!turn.mayTake) return undefined;
      const { token } = this.#sql.nextToken.get(this.#namespace, name) as { token: bigint };
      this.#sql.grant.run(this.#namespace, name, token, now + ttlMs);
      if (turn.queued) this.#sql.leaveQueue.run(this.#namespace, name, this.#waiter, now);
      return { token };
    });
  }

  async extend(name: string, token: bigint, ttlMs: number): Promise<boolean> {
    return this.#file.use(() => {
      const now = wallNow();
      return this.#sql.extend.run(now + ttlMs, this.#namespace, name, token, now).changes === 1;
    });
  }

  async release(name: string, token: bigint): Promise<boolean> {
    const removed = this.#file.use(
      () => this.#sql.release.get(this.#namespace, name, token) as { expiresAt: number } | undefined,
    );
    if (removed === undefined) return false;
    this.#released.emit(this.#eventName(name));
    return removed.expiresAt > wallNow();
  }

  async inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined> {
    return this.#file.use(() => {
      const lease = this.#sql.lease.get(this.#namespace, name) as { token: bigint; expiresAt: bigint } | undefined;
      if (lease === undefined || Number(lease.expiresAt) <= wallNow()) return undefined;
      return { token: lease.token, expiresAt: Number(lease.expiresAt) };
    });
  }

  /**
   * Joins (or stays in) the name's waiter queue until `timeoutMs` from now, then sleeps, checking
   * with a cheap read every few ms whether the name is free for this process. A release in this
   * process wakes at once.
   */
  async waitForRelease(name: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    this.#file.write(() => {
      const now = wallNow();
      this.#sql.wait.run(this.#namespace, name, this.#waiter, now, now + timeoutMs + WAITER_GRACE_MS);
    });
    const woken = new AbortController();
    const onAbort = () => woken.abort(signal?.reason);
    const event = this.#eventName(name);
    const wake = () => woken.abort("released");
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#released.once(event, wake);
    const step = Math.max(2, Math.floor(timeoutMs / 8));
    const until = monotonicNow() + timeoutMs;
    try {
      for (let left = timeoutMs; left > 0; left = until - monotonicNow()) {
        await sleep(Math.min(step, left), woken.signal);
        if (this.#file.use(() => this.#turn(name, wallNow()).mayTake)) return;
      }
    } catch {
      if (signal?.aborted) {
        // An abandoned wait gives up its place in the queue, then the caller's reason propagates.
        try {
          this.#file.use(() => this.#sql.leaveQueue.run(this.#namespace, name, this.#waiter, wallNow()));
        } catch {}
        throw signal.reason;
      }
      // Woken by a release in this process: the caller retries at once.
    } finally {
      this.#released.off(event, wake);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  #eventName(name: string): string {
    return `${this.#namespace}\0${name}`;
  }
}
