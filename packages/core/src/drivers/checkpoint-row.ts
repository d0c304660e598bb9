import type { StoredCheckpoint } from "./checkpoint-driver.js";

/** A checkpoint as a row of a table or record store: metadata and channels as JSON text, so they read back exactly. */
export interface CheckpointRowText {
  parentId: string | null;
  metadata: string;
  payload: Uint8Array;
  channels: string;
  createdAt: number;
  expiresAt: number | null;
}

/** The row form of `checkpoint` (SQLite's columns, LMDB's record): its metadata text as core encoded it, once. */
export function checkpointRowText(checkpoint: StoredCheckpoint): CheckpointRowText {
  return {
    parentId: checkpoint.parentId,
    metadata: checkpoint.metadataText ?? JSON.stringify(checkpoint.metadata),
    payload: checkpoint.payload,
    channels: JSON.stringify(checkpoint.channels),
    createdAt: checkpoint.createdAt,
    expiresAt: checkpoint.expiresAt,
  };
}
