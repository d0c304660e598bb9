import type { CacheDriver, StoredEntry } from "@stowage/core";
import { type Interrupt, Interrupted } from "@stowage/core";
import type { Progress } from "../output.js";
import { digestOf, type MigrationLedger } from "./ledger.js";

/** An entry this close to expiry is not worth copying: it would arrive expired. */
const EXPIRY_MARGIN_MS = 50;
/** Backends that derive expiry from a remaining TTL (Redis PTTL) report it a few ms apart from one read to the next. */
const EXPIRY_TOLERANCE_MS = 1_000;

export interface CopyCounts {
  copied: number;
  unchanged: number;
  skippedExpired: number;
  /** Kept as the target has it: the application changed it after the migration copied it. */
  changedOnTarget: number;
  /** Not copied again: the migration copied it and the target has since deleted it. */
  deletedOnTarget: number;
  /** Kept as the target has it: the target held another value the migration never wrote. */
  keptTarget: number;
}

export const emptyCounts = (): CopyCounts => ({
  copied: 0,
  unchanged: 0,
  skippedExpired: 0,
  changedOnTarget: 0,
  deletedOnTarget: 0,
  keptTarget: 0,
});

/** What a copy does with one record, given the source's, the target's and what the ledger says the migration wrote. */
export type Verdict = "copy" | "unchanged" | "changedOnTarget" | "deletedOnTarget" | "keptTarget";

/**
 * The one rule for every record kind: a target record the migration did not write (its digest
 * differs from the ledger's, or there is no ledger note and it differs from the source) belongs
 * to the application and is never overwritten unless the source wins.
 */
export function verdictFor(
  same: boolean,
  target: Buffer | undefined,
  written: Buffer | undefined,
  sourceWins: boolean,
): Verdict {
  if (same) return "unchanged";
  if (sourceWins) return "copy";
  if (target === undefined) return written === undefined ? "copy" : "deletedOnTarget";
  if (written === undefined) return "keptTarget";
  return written.equals(target) ? "copy" : "changedOnTarget";
}

export function sameEntry(a: StoredEntry, b: StoredEntry | undefined): boolean {
  if (b === undefined || Buffer.compare(Buffer.from(a.value), Buffer.from(b.value)) !== 0) return false;
  if (a.expiresAt === null || b.expiresAt === null) return a.expiresAt === b.expiresAt;
  return Math.abs(a.expiresAt - b.expiresAt) <= EXPIRY_TOLERANCE_MS;
}

export const isAboutToExpire = (entry: StoredEntry, now: number) =>
  entry.expiresAt !== null && entry.expiresAt <= now + EXPIRY_MARGIN_MS;

/**
 * Copies every live entry with its absolute expiry (so the remaining TTL carries over). Entries
 * already identical in the target are left alone, which makes a re-run after an interruption
 * finish the job without rewriting what was done; entries the application changed on the
 * target after they were copied are kept (see verdictFor).
 */
export async function copyCache(
  from: CacheDriver,
  to: CacheDriver,
  ledger: MigrationLedger,
  options: { dryRun: boolean; batch: number; sourceWins: boolean; progress: Progress; interrupt: Interrupt },
): Promise<CopyCounts> {
  const counts = emptyCounts();
  let keys: string[] = [];
  const flush = async () => {
    if (options.interrupt.requested) throw new Interrupted();
    const [entries, existing, written] = await Promise.all([
      from.getMany(keys),
      to.getMany(keys),
      ledger.written("c", keys),
    ]);
    const now = Date.now();
    const writes: { key: string; entry: StoredEntry }[] = [];
    const notes: { id: string; digest: Buffer; expiresAt: number | null }[] = [];
    entries.forEach((entry, i) => {
      if (!entry) return;
      const key = keys[i] as string;
      if (isAboutToExpire(entry, now)) {
        counts.skippedExpired++;
        return;
      }
      const target = existing[i];
      const verdict = verdictFor(
        sameEntry(entry, target),
        target && digestOf(target.value),
        written[i],
        options.sourceWins,
      );
      counts[verdict === "copy" ? "copied" : verdict]++;
      if (verdict === "copy") writes.push({ key, entry });
      if (verdict === "copy" || (verdict === "unchanged" && written[i] === undefined)) {
        notes.push({ id: key, digest: digestOf(entry.value), expiresAt: entry.expiresAt });
      }
    });
    if (!options.dryRun) {
      if (writes.length) await to.setMany(writes);
      await ledger.note("c", notes);
    }
    options.progress.tick(keys.length);
    keys = [];
  };
  for await (const key of from.keys("")) {
    keys.push(key);
    if (keys.length >= options.batch) await flush();
  }
  if (keys.length) await flush();
  return counts;
}
