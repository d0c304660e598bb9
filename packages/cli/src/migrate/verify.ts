import type { CacheDriver, CheckpointDriver } from "@stowage/core";
import { pairWithTarget } from "./checkpoint-pair.js";
import { isAboutToExpire, sameEntry } from "./copy-cache.js";
import { ThreadGrowth } from "./copy-checkpoints.js";
import { allCheckpoints } from "./fingerprint.js";
import { checkpointLedgerId, digestOf, type MigrationLedger } from "./ledger.js";

/** Why a record differs between the two sides after a migration. */
export type Difference =
  | "newOnTarget"
  | "changedOnTarget"
  | "deletedOnTarget"
  | "keptTarget"
  | "threadGrownOnTarget"
  | "missing"
  | "differs";

/** Explained differences are the application's own writes on the target; `missing` and `differs` are not explained and fail the check. */
const UNEXPLAINED: readonly Difference[] = ["missing", "differs"];

export interface Verification {
  /** True when every difference is explained by the application writing to the target. */
  match: boolean;
  source: { count: number };
  target: { count: number };
  same: number;
  differences: Record<Difference, number>;
  /** A few examples per kind, for the report. */
  examples: { id: string; why: Difference }[];
}

class Tally {
  readonly result: Verification = {
    match: true,
    source: { count: 0 },
    target: { count: 0 },
    same: 0,
    differences: {
      newOnTarget: 0,
      changedOnTarget: 0,
      deletedOnTarget: 0,
      keptTarget: 0,
      threadGrownOnTarget: 0,
      missing: 0,
      differs: 0,
    },
    examples: [],
  };

  add(id: string, why: Difference | "same"): void {
    if (why === "same") {
      this.result.same++;
      return;
    }
    this.result.differences[why]++;
    if (UNEXPLAINED.includes(why)) this.result.match = false;
    if (this.result.examples.filter((e) => e.why === why).length < 3) this.result.examples.push({ id, why });
  }
}

/** Classifies one record the source holds, from its target copy and the ledger. */
function classify(same: boolean, target: Buffer | undefined, written: Buffer | undefined): Difference | "same" {
  if (same) return "same";
  if (target === undefined) return written === undefined ? "missing" : "deletedOnTarget";
  if (written === undefined) return "keptTarget";
  // The target still holds what the migration wrote, so the source changed since: something writes to it.
  return written.equals(target) ? "differs" : "changedOnTarget";
}

async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncIterable<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Compares every live cache entry of both sides and says, per difference, why. */
export async function verifyCache(
  from: CacheDriver,
  to: CacheDriver,
  ledger: MigrationLedger,
  batch: number,
): Promise<Verification> {
  const tally = new Tally();
  for await (const keys of batches(from.keys(""), batch)) {
    const [entries, existing, written] = await Promise.all([
      from.getMany(keys),
      to.getMany(keys),
      ledger.written("c", keys),
    ]);
    const now = Date.now();
    entries.forEach((entry, i) => {
      if (!entry || isAboutToExpire(entry, now)) return;
      tally.result.source.count++;
      const target = existing[i];
      tally.add(keys[i] as string, classify(sameEntry(entry, target), target && digestOf(target.value), written[i]));
    });
  }
  for await (const keys of batches(to.keys(""), batch)) {
    const [existing, entries] = await Promise.all([to.getMany(keys), from.getMany(keys)]);
    existing.forEach((entry, i) => {
      if (!entry) return;
      tally.result.target.count++;
      if (entries[i] === undefined) tally.add(keys[i] as string, "newOnTarget");
    });
  }
  return tally.result;
}

/** Compares every live checkpoint of both sides (with blobs and writes) and says, per difference, why. */
export async function verifyCheckpoints(
  from: CheckpointDriver,
  to: CheckpointDriver,
  ledger: MigrationLedger,
): Promise<Verification> {
  const tally = new Tally();
  const growth = new ThreadGrowth(from, to, ledger);
  for await (const checkpoint of allCheckpoints(from)) {
    tally.result.source.count++;
    const { id, same, targetDigest, written } = await pairWithTarget(checkpoint, to, ledger);
    let why = classify(same, targetDigest, written);
    if (why === "missing" && (await growth.grown(checkpoint.threadId))) why = "threadGrownOnTarget";
    tally.add(id, why);
  }
  for (let before: string | undefined; ; ) {
    const page = await to.listPage({ limit: 200, ...(before !== undefined ? { before } : {}) });
    for (const checkpoint of page) {
      tally.result.target.count++;
      if ((await from.get(checkpoint.threadId, checkpoint.ns, checkpoint.id)) === undefined) {
        tally.add(checkpointLedgerId(checkpoint.threadId, checkpoint.ns, checkpoint.id), "newOnTarget");
      }
    }
    if (page.length < 200) break;
    before = page.at(-1)?.id;
  }
  return tally.result;
}
