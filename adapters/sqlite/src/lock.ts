import {
  FairWaits,
  type LeaseGrant,
  type LockDriver,
  monotonicNow,
  type QueueState,
  type WaiterQueue,
  type WakeChannel,
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
  head: `SELECT waiter FROM lock_waiters WHERE namespace = ? AND name = ? AND deadline > ?
         ORDER BY since, waiter LIMIT 1`,
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
  // Returns the head of the name's queue too, so the release wakes it without another read.
  release: `UPDATE lock_names SET expires_at = 0 WHERE namespace = ? AND name = ? AND token = ? AND expires_at > ?
            RETURNING (SELECT waiter FROM lock_waiters w WHERE w.namespace = lock_names.namespace
                       AND w.name = lock_names.name AND w.deadline > ? ORDER BY since, waiter LIMIT 1) AS head`,
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

/**
 * One namespace of locks in the shared database file. Every lock operation is one autocommit
 * statement, which SQLite serialises across every process that opens the file (the WAL writer
 * lock). Expiry is judged on the wall clock, because other processes read the stored times.
 * Waiters queue in lock_waiters (arrival order, honoured by the acquire statement) and are woken
 * through core's FairWaits: a release wakes the head of the queue through its wake channel.
 */
export class SqliteLockDriver implements LockDriver {
  readonly #namespace: string;
  readonly #sql: Statements;
  readonly #fair: FairWaits;
  /** How long a lock write retries while another connection writes (the file's busy_timeout). */
  readonly #busyMs: number;
  /** Names won from a queue place that is still to be removed (see tryAcquire). */
  readonly #leaving = new Set<string>();

  /** Every token this driver hands out is at least this (src/fence-epoch.ts). */
  readonly #tokenFloor: bigint;

  constructor(file: SqliteFile, namespace: string, wake: WakeChannel) {
    this.#namespace = namespace;
    this.#busyMs = file.busyTimeoutMs;
    const lockDb = file.use(() => file.lockDatabase());
    this.#sql = file.use(() => {
      const statements = Object.fromEntries(
        Object.entries(SQL).map(([name, sql]) => [name, lockDb.prepare(sql)]),
      ) as Statements;
      // Tokens are 64-bit counters: read them as bigint, never as a rounded number.
      statements.lease.safeIntegers(true);
      statements.acquire.safeIntegers(true);
      statements.counters.safeIntegers(true);
      statements.raiseFence.safeIntegers(true);
      statements.counter.safeIntegers(true);
      statements.head.pluck();
      return statements;
    });
    this.#tokenFloor = openFenceEpoch(file);
    this.#fair = new FairWaits(this.#waiterQueue(), wake);
  }

  /** The queue in lock_waiters, as core's FairWaits uses it. */
  #waiterQueue(): WaiterQueue {
    const ns = this.#namespace;
    const sql = this.#sql;
    return {
      join: async (name, waiter, deadline) => {
        // A place still kept from this process's last win goes first: joined onto, it would keep
        // that old arrival (ahead of everyone), and its late removal would then take the new one.
        if (this.#leaving.has(name)) await this.#leaveNow(name);
        await this.#write(() => sql.wait.run(ns, name, waiter, wallNow(), deadline));
      },
      leave: async (name, waiter) => {
        await this.#write(() => sql.leaveQueue.run(ns, name, waiter, wallNow()));
      },
      peek: (name, now) => this.#peek(name, now),
    };
  }

  async tryAcquire(name: string, ttlMs: number, wait?: { placeMs: number }): Promise<LeaseGrant | undefined> {
    // The clock is read before the statement waits for the writer lock, as the core times the
    // lease from before the call: the stored expiry is never earlier than the holder's own.
    const now = wallNow();
    const waiter = this.#fair.waiter;
    // A look first (a read never waits for the writer lock) when the name is known to be contended.
    if (wait !== undefined && !(await this.#fair.worthAttempt(name))) return undefined;
    const ns = this.#namespace;
    const acquire = () =>
      this.#write(
        () =>
          this.#sql.acquire.all(ns, name, this.#tokenFloor + 1n, now + ttlMs, now, ns, name, now, waiter, waiter)[0] as
            | { token: bigint }
            | undefined,
      );
    const row = await acquire();
    if (row === undefined) {
      if (wait !== undefined) this.#fair.refused(name);
      return undefined;
    }
    // A waiter that won still has its place: it goes after this turn, during the hold, off the
    // hand-off's path (the release takes it first if the hold ended sooner). Until then it is the
    // head of a name this process holds, which holds nobody back.
    if (this.#fair.granted(name)) this.#leaveSoon(name);
    return { token: row.token };
  }

  async extend(name: string, token: bigint, ttlMs: number): Promise<boolean> {
    const now = wallNow();
    return (
      (await this.#write(() => this.#sql.extend.run(now + ttlMs, this.#namespace, name, token, now))).changes === 1
    );
  }

  async release(name: string, token: bigint): Promise<boolean> {
    if (this.#leaving.has(name)) await this.#leaveNow(name);
    const now = wallNow();
    // all(), not get(): get() leaves a RETURNING statement unfinished, and that open read kept the
    // WAL from ever restarting (a process cycling one lock grew it by 1.8 GB in 8 s).
    const released = (await this.#write(() => this.#sql.release.all(this.#namespace, name, token, now, now)[0])) as
      | { head: string | null }
      | undefined;
    if (released === undefined) return false;
    if (released.head === null) this.#fair.releasedToNobody(name);
    else await this.#fair.released(name, this.#key(name), released.head);
    return true;
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
    const raised = (await this.#write(() => this.#sql.raiseFence.all(this.#namespace, name, atLeast, wallNow())[0])) as
      | { token: bigint }
      | undefined;
    if (raised) return raised.token;
    const current = (this.#sql.counter.get(this.#namespace, name) as { token: bigint } | undefined)?.token;
    return current !== undefined && current >= atLeast ? current : undefined;
  }

  /** Keeps this process's place in the name's queue and sleeps until woken or a look finds its turn. */
  waitForRelease(name: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#fair.wait(name, this.#key(name), timeoutMs, signal);
  }

  /** A wait that ended without the lease (timeout or abort) leaves the queue, so it holds back no taker of a free name. */
  stopWaiting(name: string): Promise<void> {
    return this.#fair.stopWaiting(name, this.#key(name));
  }

  #peek(name: string, now: number): QueueState {
    const ns = this.#namespace;
    const state = this.#sql.state.get(ns, name, ns, name) as { expiresAt: number | null; queued: number };
    const free = state.expiresAt === null || state.expiresAt <= now;
    if (state.queued === 0) return { free };
    return { free, head: this.#sql.head.get(ns, name, now) as string | undefined };
  }

  #leaveSoon(name: string): void {
    if (this.#leaving.size === 0) setImmediate(() => this.#leaveAll());
    this.#leaving.add(name);
  }

  #leaveAll(): void {
    for (const name of [...this.#leaving]) void this.#leaveNow(name);
  }

  /** Removes the place this driver kept for `name` after winning it, if that has not happened yet. */
  async #leaveNow(name: string): Promise<void> {
    if (!this.#leaving.delete(name)) return;
    try {
      await this.#write(() => this.#sql.leaveQueue.run(this.#namespace, name, this.#fair.waiter, wallNow()));
    } catch {
      // Closed or busy past the timeout: the place lapses by its deadline; until then it only names a holder.
    }
  }

  /**
   * Runs a lock write; while another connection holds the file's write lock (SQLITE_BUSY), tries
   * again a turn of the event loop later, up to the file's busy timeout (see lockDatabase).
   */
  #write<T>(body: () => T): T | Promise<T> {
    try {
      return body();
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
      return this.#retryBusy(body, monotonicNow() + this.#busyMs);
    }
  }

  async #retryBusy<T>(body: () => T, deadline: number): Promise<T> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        return body();
      } catch (error) {
        if ((error as { code?: string }).code !== "SQLITE_BUSY" || monotonicNow() > deadline) throw error;
      }
    }
  }

  #key(name: string): string {
    return `${this.#namespace}\0${name}`;
  }
}
