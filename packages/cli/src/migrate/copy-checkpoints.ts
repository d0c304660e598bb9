import type { CheckpointDriver } from "@stowage/core";
import type { Progress } from "../output.js";
import type { CopyCounts } from "./copy-cache.js";
import { allCheckpoints, checkpointDigest } from "./fingerprint.js";

/**
 * Copies every live checkpoint with the blobs it names and its pending writes. A checkpoint
 * already identical in the target is skipped; put replaces by id and writes are keyed by
 * (task, index), so a re-run never duplicates anything.
 */
export async function copyCheckpoints(
  from: CheckpointDriver,
  to: CheckpointDriver,
  options: { dryRun: boolean; progress: Progress },
): Promise<CopyCounts & { threads: number }> {
  const counts = { copied: 0, unchanged: 0, skippedExpired: 0, threads: 0 };
  const threads = new Set<string>();
  for await (const checkpoint of allCheckpoints(from)) {
    threads.add(checkpoint.threadId);
    const existing = await to.get(checkpoint.threadId, checkpoint.ns, checkpoint.id);
    if (existing && checkpointDigest(existing) === checkpointDigest(checkpoint)) counts.unchanged++;
    else {
      if (!options.dryRun) {
        const { blobs, writes, ...stored } = checkpoint;
        await to.put(stored, blobs);
        if (writes.length) await to.putWrites(checkpoint.threadId, checkpoint.ns, checkpoint.id, writes);
      }
      counts.copied++;
    }
    options.progress.tick();
  }
  counts.threads = threads.size;
  return counts;
}
