import type { CheckpointDriver } from "@stowage/core";
import { type Interrupt, Interrupted } from "@stowage/core";
import type { Progress } from "../output.js";
import { pairWithTarget } from "./checkpoint-pair.js";
import { type CopyCounts, emptyCounts, verdictFor } from "./copy-cache.js";
import { allCheckpoints } from "./fingerprint.js";
import { checkpointLedgerId, type MigrationLedger } from "./ledger.js";

/** How many of a target thread's newest checkpoints are looked at to tell whether the application extended it. */
const THREAD_HEAD = 20;

/** Tells, per thread, whether the target holds newer checkpoints of it that neither the source nor the ledger knows: the application extended it. */
export class ThreadGrowth {
  readonly #answers = new Map<string, boolean>();
  readonly #from: CheckpointDriver;
  readonly #to: CheckpointDriver;
  readonly #ledger: MigrationLedger;
  count = 0;

  constructor(from: CheckpointDriver, to: CheckpointDriver, ledger: MigrationLedger) {
    this.#from = from;
    this.#to = to;
    this.#ledger = ledger;
  }

  async grown(threadId: string): Promise<boolean> {
    let answer = this.#answers.get(threadId);
    if (answer !== undefined) return answer;
    answer = false;
    const head = await this.#to.listPage({ threadId, limit: THREAD_HEAD });
    const written = await this.#ledger.written(
      "p",
      head.map((c) => checkpointLedgerId(c.threadId, c.ns, c.id)),
    );
    for (const [i, checkpoint] of head.entries()) {
      if (written[i] === undefined && (await this.#from.get(threadId, checkpoint.ns, checkpoint.id)) === undefined) {
        answer = true;
        break;
      }
    }
    this.#answers.set(threadId, answer);
    if (answer) this.count++;
    return answer;
  }
}

/**
 * Copies every live checkpoint with the blobs it names and its pending writes. A checkpoint
 * already identical in the target is skipped; put replaces by id and writes are keyed by
 * (task, index), so a re-run never duplicates anything. A checkpoint the application changed on
 * the target after the copy is kept, and a thread the application extended on the target gets
 * no more checkpoints from the source (they would fork it under the application's feet).
 */
export async function copyCheckpoints(
  from: CheckpointDriver,
  to: CheckpointDriver,
  ledger: MigrationLedger,
  options: { dryRun: boolean; sourceWins: boolean; progress: Progress; interrupt: Interrupt },
): Promise<CopyCounts & { threads: number; threadsGrownOnTarget: number }> {
  const counts = { ...emptyCounts(), threads: 0, threadsGrownOnTarget: 0 };
  const threads = new Set<string>();
  const growth = new ThreadGrowth(from, to, ledger);
  for await (const checkpoint of allCheckpoints(from)) {
    if (options.interrupt.requested) throw new Interrupted();
    threads.add(checkpoint.threadId);
    const { id, digest, same, targetDigest, written } = await pairWithTarget(checkpoint, to, ledger);
    let verdict = verdictFor(same, targetDigest, written, options.sourceWins);
    if (
      verdict === "copy" &&
      targetDigest === undefined &&
      !options.sourceWins &&
      (await growth.grown(checkpoint.threadId))
    ) {
      verdict = "changedOnTarget";
    }
    counts[verdict === "copy" ? "copied" : verdict]++;
    if (!options.dryRun && verdict === "copy") {
      const { blobs, writes, ...stored } = checkpoint;
      await to.put(stored, blobs);
      if (writes.length) await to.putWrites(checkpoint.threadId, checkpoint.ns, checkpoint.id, writes);
    }
    if (!options.dryRun && (verdict === "copy" || (verdict === "unchanged" && written === undefined))) {
      await ledger.note("p", [{ id, digest, expiresAt: null }]);
    }
    options.progress.tick();
  }
  counts.threads = threads.size;
  counts.threadsGrownOnTarget = growth.count;
  return counts;
}
