import {
  type CheckpointDriver,
  type CheckpointPageQuery,
  isExpired,
  type LoadedCheckpoint,
  type StoredBlob,
  type StoredCheckpoint,
  type StoredWrite,
} from "@stowage/core";
import { SortedIndex } from "./sorted-index.js";

/** Everything one thread holds, per checkpoint namespace. */
interface ThreadState {
  /** ns → id → checkpoint. */
  checkpoints: Map<string, Map<string, StoredCheckpoint>>;
  /** blobKey(ns, channel, version) → the blob and its ns. */
  blobs: Map<string, { ns: string; blob: StoredBlob }>;
  /** writesKey(ns, checkpointId) → `${taskId}\0${index}` → write. */
  writes: Map<string, Map<string, StoredWrite>>;
  /** Every checkpoint of the thread by id, so latest and list read only what they return. */
  index: SortedIndex;
}

// JSON keeps the parts apart whatever they hold (an ns may contain NUL): ("a", "b\0c") never meets ("a\0b", "c").
const blobKey = (ns: string, channel: string, version: string | number) =>
  JSON.stringify([ns, channel, typeof version, version]);
const writesKey = (ns: string, checkpointId: string) => JSON.stringify([ns, checkpointId]);
const newestFirst = (a: StoredCheckpoint, b: StoredCheckpoint) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** One namespace of in-process checkpoints: the reference for every other backend's semantics. */
export class MemoryCheckpointDriver implements CheckpointDriver {
  readonly #threads = new Map<string, ThreadState>();
  /** Every checkpoint of every thread by id, for list across threads. */
  readonly #all = new SortedIndex();
  #thread(threadId: string, create: true): ThreadState;
  #thread(threadId: string, create: false): ThreadState | undefined;
  #thread(threadId: string, create: boolean): ThreadState | undefined {
    let state = this.#threads.get(threadId);
    if (!state && create) {
      state = { checkpoints: new Map(), blobs: new Map(), writes: new Map(), index: new SortedIndex() };
      this.#threads.set(threadId, state);
    }
    return state;
  }

  async put(checkpoint: StoredCheckpoint, blobs: readonly StoredBlob[]): Promise<void> {
    const state = this.#thread(checkpoint.threadId, true);
    for (const blob of blobs) {
      const key = blobKey(checkpoint.ns, blob.channel, blob.version);
      // A blob is immutable: the first write of a version wins, so no put changes what an older checkpoint reads.
      if (!state.blobs.has(key)) state.blobs.set(key, { ns: checkpoint.ns, blob });
    }
    let byId = state.checkpoints.get(checkpoint.ns);
    if (!byId) {
      byId = new Map();
      state.checkpoints.set(checkpoint.ns, byId);
    }
    byId.set(checkpoint.id, checkpoint);
    const entry = { id: checkpoint.id, threadId: checkpoint.threadId, ns: checkpoint.ns };
    state.index.add(entry);
    this.#all.add(entry);
  }

  async get(threadId: string, ns: string, id: string | undefined): Promise<LoadedCheckpoint | undefined> {
    const state = this.#thread(threadId, false);
    const byId = state?.checkpoints.get(ns);
    if (!state || !byId) return undefined;
    let found: StoredCheckpoint | undefined;
    if (id !== undefined) {
      found = byId.get(id);
      if (found && isExpired(found.expiresAt)) found = undefined;
    } else {
      for (const entry of state.index.newestFirst()) {
        const candidate = entry.ns === ns ? byId.get(entry.id) : undefined;
        if (candidate && !isExpired(candidate.expiresAt)) {
          found = candidate;
          break;
        }
      }
    }
    if (!found) return undefined;
    const blobs: StoredBlob[] = [];
    for (const [channel, version] of Object.entries(found.channels)) {
      const stored = state.blobs.get(blobKey(ns, channel, version));
      if (stored) blobs.push(stored.blob);
    }
    const writes = [...(state.writes.get(writesKey(ns, found.id))?.values() ?? [])];
    return { ...found, blobs, writes };
  }

  async listPage(query: CheckpointPageQuery): Promise<StoredCheckpoint[]> {
    const index = query.threadId === undefined ? this.#all : this.#threads.get(query.threadId)?.index;
    const page: StoredCheckpoint[] = [];
    for (const entry of index?.newestFirst(query.before) ?? []) {
      if (query.ns !== undefined && entry.ns !== query.ns) continue;
      const checkpoint = this.#threads.get(entry.threadId)?.checkpoints.get(entry.ns)?.get(entry.id);
      if (!checkpoint || isExpired(checkpoint.expiresAt)) continue;
      page.push(checkpoint);
      if (page.length >= query.limit) break;
    }
    return page;
  }

  async putWrites(threadId: string, ns: string, checkpointId: string, writes: readonly StoredWrite[]): Promise<void> {
    const state = this.#thread(threadId, true);
    const key = writesKey(ns, checkpointId);
    let byTask = state.writes.get(key);
    if (!byTask) {
      byTask = new Map();
      state.writes.set(key, byTask);
    }
    for (const write of writes) {
      const id = `${write.taskId}\0${write.index}`;
      if (write.index >= 0 && byTask.has(id)) continue;
      byTask.set(id, write);
    }
  }

  async deleteThread(threadId: string): Promise<void> {
    if (!this.#threads.has(threadId)) return;
    this.#all.removeThread(threadId);
    this.#threads.delete(threadId);
  }

  async prune(threadId: string, keepLast: number, ns: string | undefined): Promise<number> {
    const state = this.#thread(threadId, false);
    if (!state) return 0;
    let removed = 0;
    for (const [checkpointNs, byId] of state.checkpoints) {
      if (ns !== undefined && checkpointNs !== ns) continue;
      const doomed = [...byId.values()].sort(newestFirst).slice(keepLast);
      for (const checkpoint of doomed) {
        this.#forget(state, checkpoint);
        state.writes.delete(writesKey(checkpointNs, checkpoint.id));
        removed++;
      }
      this.#dropOrphanBlobs(state, checkpointNs);
    }
    this.#dropIfEmpty(threadId, state);
    return removed;
  }

  async countThread(threadId: string): Promise<number> {
    const state = this.#thread(threadId, false);
    if (!state) return 0;
    let count = state.blobs.size;
    for (const byId of state.checkpoints.values()) count += byId.size;
    for (const byTask of state.writes.values()) count += byTask.size;
    return count;
  }

  async gc(): Promise<number> {
    let removed = 0;
    for (const [threadId, state] of [...this.#threads]) {
      for (const [ns, byId] of state.checkpoints) {
        for (const checkpoint of [...byId.values()]) {
          if (!isExpired(checkpoint.expiresAt)) continue;
          this.#forget(state, checkpoint);
          removed += 1 + (state.writes.get(writesKey(ns, checkpoint.id))?.size ?? 0);
          state.writes.delete(writesKey(ns, checkpoint.id));
        }
        removed += this.#dropOrphanBlobs(state, ns);
      }
      this.#dropIfEmpty(threadId, state);
    }
    return removed;
  }

  async size(): Promise<{ threads: number; checkpoints: number }> {
    let checkpoints = 0;
    for (const state of this.#threads.values()) for (const byId of state.checkpoints.values()) checkpoints += byId.size;
    return { threads: this.#threads.size, checkpoints };
  }

  /** Removes a checkpoint from its thread and from both indexes. */
  #forget(state: ThreadState, checkpoint: StoredCheckpoint): void {
    state.checkpoints.get(checkpoint.ns)?.delete(checkpoint.id);
    const entry = { id: checkpoint.id, threadId: checkpoint.threadId, ns: checkpoint.ns };
    state.index.remove(entry);
    this.#all.remove(entry);
  }

  /** Removes blobs of `ns` that no remaining checkpoint names; returns how many. */
  #dropOrphanBlobs(state: ThreadState, ns: string): number {
    const named = new Set<string>();
    for (const checkpoint of state.checkpoints.get(ns)?.values() ?? []) {
      for (const [channel, version] of Object.entries(checkpoint.channels)) named.add(blobKey(ns, channel, version));
    }
    let removed = 0;
    for (const [key, stored] of [...state.blobs]) {
      if (stored.ns === ns && !named.has(key)) {
        state.blobs.delete(key);
        removed++;
      }
    }
    return removed;
  }

  #dropIfEmpty(threadId: string, state: ThreadState): void {
    for (const [ns, byId] of state.checkpoints) if (byId.size === 0) state.checkpoints.delete(ns);
    if (state.checkpoints.size === 0 && state.blobs.size === 0 && state.writes.size === 0)
      this.#threads.delete(threadId);
  }
}
