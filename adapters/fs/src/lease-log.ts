import { linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { CorruptDataError, PRIVATE_DIR_MODE } from "@stowage/core";
import { ensureDir, errnoOf, syncDir, unlinkQuietly } from "./atomic-file.js";
import { crc32 } from "./checksum.js";

/** Written into granting entries so that a process on the same machine can tell whether the holder still runs. */
const HOST = hostname().replaceAll(":", "_");

/** The target of a release entry: it grants nothing and carries no token. */
const RELEASED = "released";

/** The state of a lease: its fencing token and wall-clock expiry (0 = released). */
export interface LeaseState {
  /** Sequence number of the log entry holding this state (0 = the log is empty). */
  seq: number;
  token: bigint;
  expiresAt: number;
  /** The entries the read saw, the newest included: those below a new entry are removed after it. */
  seen: readonly number[];
  /** Names of the waiter markers the read saw (see lock.ts): "w.<pid>.<n>", each a symlink to its expiry. */
  waiters: readonly string[];
  /** The process that wrote a granting entry, when it recorded its host (entries before it did not). */
  holder?: { pid: number; host: string };
}

const EMPTY: LeaseState = { seq: 0, token: 0n, expiresAt: 0, seen: [], waiters: [] };

/**
 * A lease as an append-only log of states in one directory: entry `n` is a symlink whose target
 * is "token:expiresAt:pid:host:c<crc32>", or "released". The newest entry is the state. A process moves the lease from state
 * `n` to `n+1` by creating symlink `n+1`, which exactly one process can do (symlink fails with
 * EEXIST), so every change — acquire, takeover of an expired lease, extend, release — is a
 * compare-and-swap on the state it read, and no two processes can both win one takeover.
 * (proper-lockfile's takeover is rmdir-then-mkdir: a process that judged the old lock stale can
 * rmdir the lock a faster process has just taken, and both hold it.) A symlink is written with
 * its content in one step, so a reader never sees a half-written state.
 *
 * Entries below the newest are removed (the newest never is, so the fencing token never goes
 * back); a slow process that re-creates a removed entry is caught by the check in write().
 * A release entry grants nothing, so one re-created late is harmless: it is never the newest.
 * A release entry is a hard link to one shared "released" symlink: a link allocates no inode,
 * so a release costs a fraction of a new symlink.
 */
export class LeaseLog {
  readonly dir: string;
  /** The shared "released" symlink that release entries link to (same filesystem as `dir`). */
  readonly #released: string;
  /** fsync the directory after each new entry, so a power loss cannot take the fencing token back. */
  readonly #durable: boolean;

  constructor(dir: string, released: string, durable = false) {
    this.dir = dir;
    this.#released = released;
    this.#durable = durable;
  }

  /** The current state (the empty state when the log was never written). */
  read(): LeaseState {
    for (let attempt = 0; ; attempt++) {
      const waiters: string[] = [];
      const seen = this.#sequences(waiters);
      let newest = 0;
      for (const n of seen) if (n > newest) newest = n;
      if (newest === 0) return EMPTY;
      let target: string;
      try {
        target = readlinkSync(join(this.dir, String(newest)));
      } catch (error) {
        // Removed between readdir and readlink: a newer entry exists; read again.
        if (errnoOf(error) === "ENOENT" && attempt < 100) continue;
        throw error;
      }
      return { ...parseState(newest, target, this.dir, seen), waiters };
    }
  }

  /**
   * Moves the lease from `from` to a new state; false when another process changed it first.
   * A state that grants the lease (`expiresAt` in the future) is valid only while no newer entry
   * exists, and none can legitimately follow it before it expires or is released, so a newer
   * entry seen right after creating it means ours re-created a removed one: it is withdrawn.
   */
  write(from: LeaseState, token: bigint, expiresAt: number): boolean {
    const seq = from.seq + 1;
    const entry = join(this.dir, String(seq));
    const target = expiresAt === 0 ? RELEASED : grantTarget(token, expiresAt);
    try {
      // An empty log is usually a name never used: make its directory first instead of failing a symlink.
      if (from.seq === 0) this.#createDir();
      this.#createEntry(target, entry);
    } catch (error) {
      if (errnoOf(error) === "EEXIST") return false;
      if (errnoOf(error) !== "ENOENT") throw error;
      if (from.seq !== 0) return false;
      this.#createDir();
      try {
        this.#createEntry(target, entry);
      } catch (again) {
        if (errnoOf(again) === "EEXIST") return false;
        throw again;
      }
    }
    let older = from.seen;
    // Even in a directory this call created: others can go through whole cycles between its mkdir and its symlink.
    if (expiresAt !== 0) {
      older = this.#sequences();
      if (older.some((n) => n > seq)) {
        unlinkQuietly(entry);
        return false;
      }
    }
    if (this.#durable) syncDir(this.dir);
    for (const n of older) if (n < seq) unlinkQuietly(join(this.dir, String(n)));
    return true;
  }

  /** Moves the log on to a release entry `seq` (so later tokens exceed it); false when another process changed it first. */
  skipTo(from: LeaseState, seq: number): boolean {
    if (from.seq === 0) this.#createDir();
    return this.write({ ...from, seq: seq - 1 }, 0n, 0);
  }

  /**
   * Releases the lease granted by entry `grantedSeq` (which this process wrote) without reading
   * the log first: one link(2) creating entry grantedSeq+1. False when that entry exists, i.e.
   * another process moved the lease on (it judged ours expired). Older entries are left for the
   * next writer, which removes everything below its own entry.
   */
  releaseFrom(grantedSeq: number): boolean {
    try {
      this.#createEntry(RELEASED, join(this.dir, String(grantedSeq + 1)));
    } catch (error) {
      if (errnoOf(error) === "EEXIST" || errnoOf(error) === "ENOENT") return false;
      throw error;
    }
    if (this.#durable) syncDir(this.dir);
    return true;
  }

  /** symlink(2) with `target`, or for a release a link to the shared "released" symlink; EEXIST when taken. */
  #createEntry(target: string, entry: string): void {
    if (target !== RELEASED) {
      symlinkSync(target, entry);
      return;
    }
    try {
      linkSync(this.#released, entry);
    } catch (error) {
      const code = errnoOf(error);
      if (code === "EMLINK" || code === "EPERM") {
        symlinkSync(RELEASED, entry);
        return;
      }
      if (code !== "ENOENT" || exists(this.#released)) throw error;
      try {
        ensureDir(dirname(this.#released));
        symlinkSync(RELEASED, this.#released);
      } catch (made) {
        if (errnoOf(made) !== "EEXIST") throw made;
      }
      linkSync(this.#released, entry);
    }
  }

  /** Creates the log directory (and its parents) when missing. */
  #createDir(): void {
    for (let attempt = 0; ; attempt++) {
      try {
        mkdirSync(this.dir, { mode: PRIVATE_DIR_MODE });
        return;
      } catch (error) {
        if (errnoOf(error) === "EEXIST") return;
        if (errnoOf(error) !== "ENOENT" || attempt > 0) throw error;
        ensureDir(dirname(this.dir));
      }
    }
  }

  #sequences(waiters?: string[]): number[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return [];
      throw error;
    }
    const sequences: number[] = [];
    for (const name of names) {
      const n = Number(name);
      if (Number.isSafeInteger(n) && n > 0) sequences.push(n);
      else if (waiters && name.startsWith("w.")) waiters.push(name);
    }
    return sequences;
  }
}

/** True when `holder` ran on this machine and its process is gone: its lease can go before it expires. */
export function holderIsGone(holder: LeaseState["holder"]): boolean {
  if (holder === undefined || holder.host !== HOST || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return errnoOf(error) === "ESRCH";
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** "c" and the CRC-32 of the entry's other fields, in hex: a changed digit is seen as damage. */
function checksumField(state: string): string {
  return `c${crc32(Buffer.from(state)).toString(16).padStart(8, "0")}`;
}

/** A granting entry's target: "token:expiresAt:pid:host:c<crc32>" (the host tells a waiter whether it can see the pid). */
function grantTarget(token: bigint, expiresAt: number): string {
  const state = `${token}:${expiresAt}:${process.pid}:${HOST}`;
  return `${state}:${checksumField(state)}`;
}

const DIGITS = /^\d+$/;

/**
 * The state an entry's target records. A damaged target is ERR_CORRUPT_DATA: a changed digit
 * must not move an expiry or a token. Targets of older releases ("token:expiresAt:pid", without
 * the checksum) still read; a checksummed target never looks like one (its last field starts "c").
 */
function parseState(seq: number, target: string, dir: string, seen: readonly number[]): Omit<LeaseState, "waiters"> {
  if (target === RELEASED) return { seq, token: 0n, expiresAt: 0, seen };
  const fields = target.split(":");
  const [token = "", expiresAt = "", pid = ""] = fields;
  // Older releases wrote "token:expiresAt:pid" without host or checksum.
  const host = fields.length === 5 ? fields[3] : undefined;
  const checked = fields.length === 5 ? fields[4] === checksumField(fields.slice(0, 4).join(":")) : fields.length === 3;
  if (!checked || !DIGITS.test(token) || !DIGITS.test(expiresAt) || !DIGITS.test(pid)) {
    throw new CorruptDataError(`lease entry ${join(dir, String(seq))} is damaged: ${JSON.stringify(target)}`);
  }
  const state = { seq, token: BigInt(token), expiresAt: Number(expiresAt), seen };
  return host !== undefined ? { ...state, holder: { pid: Number(pid), host } } : state;
}
