import type { JsonObject } from "../json.js";

/** A channel's version, as LangGraph gives it (a number or a string). */
export type ChannelVersion = string | number;

/** A checkpoint as a backend stores it. Ids sort by time as strings (uuid6-style). */
export interface StoredCheckpoint {
  threadId: string;
  /** The checkpoint namespace inside the thread ("" by default). */
  ns: string;
  id: string;
  parentId: string | null;
  metadata: JsonObject;
  /** Optional: `metadata` as JSON text, when core already made it (a driver that stores text skips a stringify). */
  metadataText?: string;
  /** The encoded payload, opaque to the backend. */
  payload: Uint8Array;
  /** The version of each channel this checkpoint reads; blobs are found by (channel, version). */
  channels: Record<string, ChannelVersion>;
  /** Wall-clock ms when it was written. */
  createdAt: number;
  /** Wall-clock ms after which it is never returned; null = never. */
  expiresAt: number | null;
}

/** One channel's value at one version, stored once per (thread, ns, channel, version). */
export interface StoredBlob {
  channel: string;
  version: ChannelVersion;
  value: Uint8Array;
}

/** A pending write hanging off a checkpoint. */
export interface StoredWrite {
  taskId: string;
  /** >= 0 appends (kept when already present); < 0 (error, scheduled, interrupt, resume) replaces. */
  index: number;
  channel: string;
  value: Uint8Array;
  taskPath: string;
}

/** A checkpoint with the blobs its channels name (those that exist) and its pending writes. */
export interface LoadedCheckpoint extends StoredCheckpoint {
  blobs: StoredBlob[];
  writes: StoredWrite[];
}

/** What listPage selects; results are newest first (descending id). */
export interface CheckpointPageQuery {
  /** Only this thread; all threads when undefined. */
  threadId?: string;
  /** Only this checkpoint namespace; every namespace when undefined. */
  ns?: string;
  /** Only ids strictly less than this. */
  before?: string;
  /** At most this many (>= 1). */
  limit: number;
}

/**
 * The primitives a backend implements for one store namespace of checkpoints. Ids, threads
 * and limits are already validated and values already encoded by core. Expired checkpoints are
 * never returned.
 */
export interface CheckpointDriver {
  /**
   * Stores the checkpoint (replacing one with the same thread, ns and id) and its new blobs, atomically.
   * A blob is immutable: one whose (thread, ns, channel, version) is already stored is left as it is
   * (the first write wins), so no put, fork or replay changes what an older checkpoint reads.
   */
  put(checkpoint: StoredCheckpoint, blobs: readonly StoredBlob[]): Promise<void>;
  /** Returns the checkpoint with this id, or the newest of (thread, ns) when id is undefined; undefined when none. */
  get(threadId: string, ns: string, id: string | undefined): Promise<LoadedCheckpoint | undefined>;
  /** Returns up to `limit` live checkpoints matching the query, newest first, reading only about what it returns. */
  listPage(query: CheckpointPageQuery): Promise<StoredCheckpoint[]>;
  /**
   * Optional: what listPage returns, each checkpoint with its blobs and writes as get gives them,
   * read in fewer round trips than a get per checkpoint. Core falls back to listPage plus one get
   * per checkpoint when a backend leaves it out.
   */
  listLoadedPage?(query: CheckpointPageQuery): Promise<LoadedCheckpoint[]>;
  /** Adds pending writes to a checkpoint: a non-negative index is kept if (taskId, index) exists; a negative one replaces. */
  putWrites(threadId: string, ns: string, checkpointId: string, writes: readonly StoredWrite[]): Promise<void>;
  /** Removes every checkpoint, blob, write and index entry of the thread, in every ns. */
  deleteThread(threadId: string): Promise<void>;
  /**
   * Keeps the newest `keepLast` checkpoints of each ns of the thread (or only of `ns`), removes the
   * rest with their writes and any blob no kept checkpoint names; returns how many checkpoints went.
   */
  prune(threadId: string, keepLast: number, ns: string | undefined): Promise<number>;
  /**
   * Counts every record held for the thread (0 after deleteThread): one per checkpoint, one per
   * blob, one per write, plus whatever index entries the backend keeps per checkpoint.
   */
  countThread(threadId: string): Promise<number>;
  /** Removes expired checkpoints with their writes and orphaned blobs; returns how many records went. */
  gc(): Promise<number>;
  /** Returns how many threads and checkpoints this namespace holds. */
  size(): Promise<{ threads: number; checkpoints: number }>;
}
