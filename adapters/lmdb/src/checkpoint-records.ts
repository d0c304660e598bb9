import { createHash } from "node:crypto";
import type { ChannelVersion, JsonObject, StoredCheckpoint, StoredWrite } from "@stowage/core";
import { type CheckpointRowText, CorruptDataError, checkpointRowText } from "@stowage/core";
import { encodeTuple, type TuplePart } from "./keys/tuple.js";

/** A checkpoint row; metadata and channels stay JSON text so they read back exactly as JSON. */
export type CheckpointRow = CheckpointRowText;

export interface BlobRow {
  version: ChannelVersion;
  value: Uint8Array;
}

export type WriteRow = StoredWrite;

export const toRow: (checkpoint: StoredCheckpoint) => CheckpointRow = checkpointRowText;

export function fromRow(threadId: string, ns: string, id: string, row: CheckpointRow): StoredCheckpoint {
  try {
    return {
      threadId,
      ns,
      id,
      parentId: row.parentId,
      metadata: JSON.parse(row.metadata) as JsonObject,
      payload: row.payload,
      channels: JSON.parse(row.channels) as Record<string, ChannelVersion>,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
    };
  } catch (error) {
    throw new CorruptDataError(`lmdb checkpoint ${threadId}/${ns}/${id} is unreadable`, { cause: error });
  }
}

/** Longer string versions are keyed by a digest, so a blob key stays under lmdb's 4026-byte limit. */
const LONG_VERSION_BYTES = 512;

/** The key part of a channel version: numbers and strings stay distinct (1 is not "1"). */
export function versionPart(version: ChannelVersion): TuplePart {
  if (typeof version === "number" || Buffer.byteLength(version) <= LONG_VERSION_BYTES) return version;
  return `\0sha256:${createHash("sha256").update(version).digest("hex")}`;
}

export const keyOf = {
  checkpoint: (namespace: string, threadId: string, ns: string, id: string) =>
    encodeTuple([namespace, threadId, ns, id]),
  byThread: (namespace: string, threadId: string, id: string, ns: string) => encodeTuple([namespace, threadId, id, ns]),
  byId: (namespace: string, id: string, threadId: string, ns: string) => encodeTuple([namespace, id, threadId, ns]),
  blob: (namespace: string, threadId: string, ns: string, channel: string, version: ChannelVersion) =>
    encodeTuple([namespace, threadId, ns, channel, versionPart(version)]),
  writes: (namespace: string, threadId: string, ns: string, checkpointId: string) =>
    encodeTuple([namespace, threadId, ns, checkpointId]),
};
