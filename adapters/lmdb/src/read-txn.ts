import type { RootDatabase } from "lmdb";

/** The open environments by directory (the `where` every driver passes to errors.ts). */
const environments = new Map<string, RootDatabase>();

/** Remembers `root` as the environment at `dir`, whose read transaction a failed read resets. */
export function trackReadTxn(dir: string, root: RootDatabase): void {
  environments.set(dir, root);
}

export function untrackReadTxn(dir: string): void {
  environments.delete(dir);
}

/**
 * lmdb-js keeps one read transaction for every read until its next macrotask (setTimeout 0). A
 * read that meets a damaged page leaves LMDB's transaction in error, so every later read in it,
 * of intact keys too, failed with MDB_BAD_TXN until then (reads awaited in a loop never yield to
 * timers): reset it at once, and the next read begins a fresh one.
 */
export function resetReadTxn(dir: string): void {
  try {
    (environments.get(dir) as (RootDatabase & { resetReadTxn(): void }) | undefined)?.resetReadTxn();
  } catch {
    // A closed environment has no read transaction to reset.
  }
}
