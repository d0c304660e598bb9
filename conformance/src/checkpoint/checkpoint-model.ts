import type { Checkpoint, JsonObject } from "@stowage/core";

/** A channel version as the contract takes it: 1 and "1" are different versions. */
export type Version = string | number;

/** The contract's checkpoint without the store's clock. */
type ModelCheckpoint = Omit<Checkpoint, "createdAt">;

export interface ModelWrite {
  taskId: string;
  index: number;
  channel: string;
  value: unknown;
  taskPath: string;
}

/** What get gives, in the terms the model compares. */
export interface ModelState extends Pick<ModelCheckpoint, "id" | "parentId" | "metadata" | "payload" | "channels"> {
  channelValues: Record<string, unknown>;
  /** Sorted by (taskId, index): the contract promises the set, not an order. */
  pendingWrites: ModelWrite[];
}

const blobKey = (ns: string, channel: string, version: Version) =>
  JSON.stringify([ns, channel, typeof version, version]);
const writesKey = (ns: string, id: string) => JSON.stringify([ns, id]);
const newestFirst = (a: { id: string }, b: { id: string }) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface ModelThread {
  checkpoints: Map<string, ModelCheckpoint>;
  blobs: Map<string, unknown>;
  /** Blobs prune removed as orphans (a backend may keep them a while: Capabilities.prunedBlobsLinger). */
  retired: Set<string>;
  writes: Map<string, ModelWrite[]>;
}

/**
 * The checkpoint contract as plain maps, written from DESIGN.md and the contract's doc comments
 * (not from any backend): blobs are immutable once written, non-negative write indices are kept
 * once per (task, index), negative ones replace, prune keeps the newest per ns with the blobs they
 * name, deleteThread leaves nothing. Expiry is out of its scope (nothing it writes expires).
 */
export class CheckpointModel {
  readonly #threads = new Map<string, ModelThread>();

  #thread(threadId: string): ModelThread {
    let thread = this.#threads.get(threadId);
    if (!thread) {
      thread = { checkpoints: new Map(), blobs: new Map(), writes: new Map(), retired: new Set() };
      this.#threads.set(threadId, thread);
    }
    return thread;
  }

  /** Ids of the thread's checkpoints in ns, newest first. */
  ids(threadId: string, ns: string): string[] {
    const thread = this.#threads.get(threadId);
    if (!thread) return [];
    return [...thread.checkpoints.values()]
      .filter((c) => c.ns === ns)
      .sort(newestFirst)
      .map((c) => c.id);
  }

  channelsOf(threadId: string, ns: string, id: string): Record<string, Version> | undefined {
    return this.#threads.get(threadId)?.checkpoints.get(JSON.stringify([ns, id]))?.channels;
  }

  put(checkpoint: ModelCheckpoint, blobs: readonly { channel: string; version: Version; value: unknown }[]): void {
    const thread = this.#thread(checkpoint.threadId);
    for (const blob of blobs) {
      const key = blobKey(checkpoint.ns, blob.channel, blob.version);
      if (!thread.blobs.has(key)) thread.blobs.set(key, blob.value);
    }
    thread.checkpoints.set(JSON.stringify([checkpoint.ns, checkpoint.id]), checkpoint);
  }

  putWrites(threadId: string, ns: string, id: string, writes: readonly ModelWrite[]): void {
    const thread = this.#thread(threadId);
    const key = writesKey(ns, id);
    const stored = thread.writes.get(key) ?? [];
    for (const write of writes) {
      const at = stored.findIndex((w) => w.taskId === write.taskId && w.index === write.index);
      if (at === -1) stored.push(write);
      else if (write.index < 0) stored[at] = write;
    }
    thread.writes.set(key, stored);
  }

  /** Whether prune removed this blob as an orphan earlier in the history. */
  isRetired(threadId: string, ns: string, channel: string, version: Version): boolean {
    return this.#threads.get(threadId)?.retired.has(blobKey(ns, channel, version)) ?? false;
  }

  get(threadId: string, ns: string, id: string | undefined): ModelState | undefined {
    const thread = this.#threads.get(threadId);
    const chosen = id ?? this.ids(threadId, ns)[0];
    const found = chosen === undefined ? undefined : thread?.checkpoints.get(JSON.stringify([ns, chosen]));
    if (!thread || !found) return undefined;
    const channelValues: Record<string, unknown> = {};
    for (const [channel, version] of Object.entries(found.channels)) {
      const key = blobKey(ns, channel, version);
      if (thread.blobs.has(key)) channelValues[channel] = thread.blobs.get(key);
    }
    const pendingWrites = [...(thread.writes.get(writesKey(ns, found.id)) ?? [])].sort(byTaskAndIndex);
    return {
      id: found.id,
      parentId: found.parentId,
      metadata: found.metadata,
      payload: found.payload,
      channels: found.channels,
      channelValues,
      pendingWrites,
    };
  }

  list(options: {
    threadId?: string;
    ns?: string;
    before?: string;
    limit?: number;
    filter?: JsonObject;
  }): Omit<ModelCheckpoint, "channels">[] {
    const all = [...this.#threads.entries()]
      .filter(([threadId]) => options.threadId === undefined || threadId === options.threadId)
      .flatMap(([, thread]) => [...thread.checkpoints.values()])
      .filter((c) => options.ns === undefined || c.ns === options.ns)
      .filter((c) => options.before === undefined || c.id < options.before)
      .filter((c) =>
        Object.entries(options.filter ?? {}).every(
          ([key, value]) => Object.hasOwn(c.metadata, key) && deepEqual(c.metadata[key], value),
        ),
      )
      .sort(newestFirst);
    return all
      .slice(0, options.limit ?? all.length)
      .map(({ threadId, ns, id, parentId, metadata, payload }) => ({ threadId, ns, id, parentId, metadata, payload }));
  }

  deleteThread(threadId: string): void {
    this.#threads.delete(threadId);
  }

  /** Returns how many checkpoints went. */
  prune(threadId: string, keepLast: number, ns: string | undefined): number {
    const thread = this.#threads.get(threadId);
    if (!thread) return 0;
    const namespaces = new Set([...thread.checkpoints.values()].map((c) => c.ns));
    let removed = 0;
    for (const checkpointNs of namespaces) {
      if (ns !== undefined && checkpointNs !== ns) continue;
      const ids = this.ids(threadId, checkpointNs);
      for (const id of ids.slice(keepLast)) {
        thread.checkpoints.delete(JSON.stringify([checkpointNs, id]));
        thread.writes.delete(writesKey(checkpointNs, id));
        removed++;
      }
      const named = new Set<string>();
      for (const c of thread.checkpoints.values()) {
        if (c.ns !== checkpointNs) continue;
        for (const [channel, version] of Object.entries(c.channels)) named.add(blobKey(checkpointNs, channel, version));
      }
      for (const key of [...thread.blobs.keys()]) {
        if ((JSON.parse(key) as [string])[0] === checkpointNs && !named.has(key)) {
          thread.blobs.delete(key);
          thread.retired.add(key);
        }
      }
    }
    return removed;
  }

  /** Checkpoints held in the namespace, and the threads that have one. */
  stats(): { threads: number; checkpoints: number } {
    let threads = 0;
    let checkpoints = 0;
    for (const thread of this.#threads.values()) {
      if (thread.checkpoints.size > 0) threads++;
      checkpoints += thread.checkpoints.size;
    }
    return { threads, checkpoints };
  }

  threadIds(): string[] {
    return [...this.#threads.keys()];
  }
}

export function byTaskAndIndex(a: { taskId: string; index: number }, b: { taskId: string; index: number }): number {
  return a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : a.index - b.index;
}
