import type { CacheDriver, StoredEntry } from "@stowage/core";
import type { Progress } from "../output.js";

/** An entry this close to expiry is not worth copying: it would arrive expired. */
const EXPIRY_MARGIN_MS = 50;
/** Backends that derive expiry from a remaining TTL (Redis PTTL) report it a few ms apart from one read to the next. */
const EXPIRY_TOLERANCE_MS = 1_000;

export interface CopyCounts {
  copied: number;
  unchanged: number;
  skippedExpired: number;
}

function sameEntry(a: StoredEntry, b: StoredEntry | undefined): boolean {
  if (b === undefined || Buffer.compare(Buffer.from(a.value), Buffer.from(b.value)) !== 0) return false;
  if (a.expiresAt === null || b.expiresAt === null) return a.expiresAt === b.expiresAt;
  return Math.abs(a.expiresAt - b.expiresAt) <= EXPIRY_TOLERANCE_MS;
}

/**
 * Copies every live entry with its absolute expiry (so the remaining TTL carries over). Entries
 * already identical in the target are left alone, which makes a re-run after an interruption
 * finish the job without rewriting what was done.
 */
export async function copyCache(
  from: CacheDriver,
  to: CacheDriver,
  options: { dryRun: boolean; batch: number; progress: Progress },
): Promise<CopyCounts> {
  const counts: CopyCounts = { copied: 0, unchanged: 0, skippedExpired: 0 };
  let keys: string[] = [];
  const flush = async () => {
    const [entries, existing] = await Promise.all([from.getMany(keys), to.getMany(keys)]);
    const now = Date.now();
    const writes: { key: string; entry: StoredEntry }[] = [];
    entries.forEach((entry, i) => {
      if (!entry) return;
      if (entry.expiresAt !== null && entry.expiresAt <= now + EXPIRY_MARGIN_MS) counts.skippedExpired++;
      else if (sameEntry(entry, existing[i])) counts.unchanged++;
      else writes.push({ key: keys[i] as string, entry });
    });
    if (writes.length && !options.dryRun) await to.setMany(writes);
    counts.copied += writes.length;
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
