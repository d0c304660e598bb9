import type { CheckpointDriver, LoadedCheckpoint } from "@stowage/core";
import { checkpointDigest } from "./fingerprint.js";
import { checkpointLedgerId, type MigrationLedger } from "./ledger.js";

/** A source checkpoint beside what the target holds under its id and what the ledger says was written. */
export interface CheckpointPair {
  /** The checkpoint's id in the ledger. */
  id: string;
  /** The source checkpoint's digest, as the ledger records it. */
  digest: Buffer;
  /** True when the target holds exactly this checkpoint. */
  same: boolean;
  /** The digest of the target's checkpoint under this id, if it has one. */
  targetDigest: Buffer | undefined;
  /** What the ledger recorded as written for this id by an earlier run, if anything. */
  written: Buffer | undefined;
}

/** Looks `checkpoint` up on the target and in the ledger (one round trip each, together). */
export async function pairWithTarget(
  checkpoint: LoadedCheckpoint,
  to: CheckpointDriver,
  ledger: MigrationLedger,
): Promise<CheckpointPair> {
  const id = checkpointLedgerId(checkpoint.threadId, checkpoint.ns, checkpoint.id);
  const [existing, [written]] = await Promise.all([
    to.get(checkpoint.threadId, checkpoint.ns, checkpoint.id),
    ledger.written("p", [id]),
  ]);
  const digest = Buffer.from(checkpointDigest(checkpoint), "hex");
  const targetDigest = existing ? Buffer.from(checkpointDigest(existing), "hex") : undefined;
  return { id, digest, same: targetDigest?.equals(digest) ?? false, targetDigest, written };
}
