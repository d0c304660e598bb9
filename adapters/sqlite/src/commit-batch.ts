import { monotonicNow } from "@stowage/core";
import type Database from "better-sqlite3";

/**
 * How big a shared transaction may grow: at most `writes` writes, and no write joins it once it has
 * been open `ms` (the next one commits it and opens another), so another process's writer waits at
 * most about that long for it. Mutable for tests only (deterministic commit counts).
 */
export const BATCH_LIMITS = { writes: 512, ms: 4 };

interface Waiting {
  value: unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for one connection: concurrent writes of this process share one transaction.
 *
 * Why: every commit is a WAL append (and with synchronous=FULL an fsync), and in-process callers
 * that write at the same time can share it. A write that arrives while no other is in flight runs
 * as its own transaction and is committed before `run` returns, so a lone or sequential writer pays
 * nothing. A write that arrives while another of this process is still in flight (called in the same
 * microtask run, or while a shared transaction is open) opens or joins the shared transaction
 * (BEGIN IMMEDIATE): it runs at once, in call order, so later statements on the connection — reads
 * too — see it. The transaction commits at setImmediate, at BATCH_LIMITS, or when commit() is called (before a lock statement, gc, close), and only then do
 * its writes resolve. A failed COMMIT rolls everything back and rejects every write of the batch
 * with that error; a write that fails alone rejects alone (SQLite undoes just that statement), unless
 * SQLite had to roll back the whole transaction, which then fails the batch the same way.
 *
 * Other processes see a batch whole or not at all, and wait for this process's writer lock for at
 * most one batch (plus their busy_timeout back-off).
 */
export class CommitBatch {
  /**
   * The open shared transaction of each database file in this process (at most one: it holds the
   * file's writer lock). Another connection of this process to the same file commits it before it
   * writes, or its write would wait out busy_timeout for a commit that only this thread can make.
   */
  static readonly #openOn = new Map<string, CommitBatch>();
  readonly #path: string;
  readonly #db: Database.Database;
  readonly #begin: Database.Statement;
  readonly #commit: Database.Statement;
  readonly #rollback: Database.Statement;
  /** The writes of the open shared transaction; undefined when none is open. */
  #waiting: Waiting[] | undefined;
  #openedAt = 0;
  #timer: NodeJS.Immediate | undefined;
  /** A write ran in this microtask run: a second one now is concurrent with it. */
  #recent = false;
  readonly #forget = () => {
    this.#recent = false;
  };
  /** Commits made (own transactions and shared ones) and writes acknowledged: the evidence for group commit. */
  readonly stats = { commits: 0, writes: 0 };

  constructor(db: Database.Database, path: string) {
    this.#path = path;
    this.#db = db;
    this.#begin = db.prepare("BEGIN IMMEDIATE");
    this.#commit = db.prepare("COMMIT");
    this.#rollback = db.prepare("ROLLBACK");
  }

  /** Runs the write `body` now; the promise settles once it is committed (or its batch failed). */
  run<T>(body: () => T): Promise<T> {
    this.commitOthers();
    if (this.#waiting === undefined && !this.#recent) return this.#alone(body);
    if (this.#waiting === undefined) this.#open();
    else if (this.#waiting.length >= BATCH_LIMITS.writes || monotonicNow() - this.#openedAt >= BATCH_LIMITS.ms) {
      this.commit();
      this.#open();
    }
    const waiting = this.#waiting as Waiting[];
    let value: T;
    try {
      value = body();
    } catch (error) {
      // SQLite undid the failed statement only, unless it had to roll back the whole transaction.
      if (!this.#db.inTransaction) this.#fail(waiting, error);
      return Promise.reject(error);
    }
    this.stats.writes++;
    return new Promise<T>((resolve, reject) => {
      waiting.push({ value, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** Commits another connection's shared transaction on this file, if one is open: before this connection writes. */
  commitOthers(): void {
    const open = CommitBatch.#openOn.get(this.#path);
    if (open !== undefined && open !== this) open.commit();
  }

  /** Commits whichever shared transaction of this process is open on this file (this connection's or another's). */
  commitFile(): void {
    CommitBatch.#openOn.get(this.#path)?.commit();
  }

  /** Commits the open shared transaction now, settling its writes; nothing when none is open. */
  commit(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.#close();
    try {
      this.#commit.run();
    } catch (error) {
      this.#fail(waiting, error);
      return;
    }
    this.stats.commits++;
    for (const write of waiting) write.resolve(write.value);
  }

  /** A write with nobody else writing: its own transaction (an autocommit statement, or the body's own). */
  #alone<T>(body: () => T): Promise<T> {
    this.#recent = true;
    queueMicrotask(this.#forget);
    let value: T;
    try {
      value = body();
    } catch (error) {
      return Promise.reject(error);
    }
    this.stats.commits++;
    this.stats.writes++;
    return Promise.resolve(value);
  }

  #open(): void {
    this.#begin.run();
    this.#waiting = [];
    CommitBatch.#openOn.set(this.#path, this);
    this.#openedAt = monotonicNow();
    this.#timer = setImmediate(() => {
      this.#timer = undefined;
      this.commit();
    });
  }

  #close(): void {
    this.#waiting = undefined;
    if (CommitBatch.#openOn.get(this.#path) === this) CommitBatch.#openOn.delete(this.#path);
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    this.#timer = undefined;
  }

  /** The whole batch is lost: roll back what is left of it and reject every write in it. */
  #fail(waiting: Waiting[], error: unknown): void {
    if (this.#waiting === waiting) this.#close();
    if (this.#db.inTransaction) {
      try {
        this.#rollback.run();
      } catch {}
    }
    for (const write of waiting) write.reject(error);
  }
}
