import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  compareWritesSortKeys,
  getCheckpointId,
  maxChannelVersion,
  type PendingWrite,
  type SerializerProtocol,
  TASKS,
  WRITES_IDX_MAP,
  writesSortKey,
} from "@langchain/langgraph-checkpoint";
import type { ChannelBlob, CheckpointWithState, Storage, PendingWrite as StowageWrite } from "@stowage/core";
import { matchesFilter } from "@stowage/core";
import { nextChannelVersion } from "./channel-versions.js";
import { filterableMetadata, jsonFilter } from "./metadata.js";
import {
  dumpElements,
  dumpValue,
  loadValue,
  type MaybePromise,
  type StoredTyped,
  settleAll,
  skipsSerde,
  type ValueEncoding,
} from "./typed-values.js";

/** The checkpoint store contract (core's index exports the class of the same name). */
type CheckpointStore = Storage["checkpoint"];

/** Options of a saver over a stowage checkpoint store. */
export interface StowageSaverOptions {
  /** How serde bytes are kept: "binary" (default; the store needs the msgpack codec) or "text" (any codec). */
  encoding?: ValueEncoding;
  /** TTL (ms) of each checkpoint; the store's default (7 days unless configured) when left out. */
  ttl?: number;
  /**
   * Store a channel array that appends to its last version as a delta (default true): a conversation's
   * storage then grows linearly. false writes whole values (chains already written still read).
   */
  channelDeltas?: boolean;
  /** Deflate channel blobs and delta records of at least this many bytes (zlib level 1); left out: none. */
  compressAbove?: number;
  /** Run `close` of the store when the saver ends (true when the saver opened it from a URL). */
  onEnd?: () => Promise<void>;
}

/** The checkpoint as kept in the payload: everything but channel_values (those are blobs). */
interface StoredPayload {
  /** The checkpoint without channel_values, through serde. */
  c: StoredTyped;
  /** The metadata through serde, only when JSON would change it. */
  m?: StoredTyped;
}

/**
 * A LangGraph checkpoint saver over any stowage checkpoint store (memory, SQLite, LMDB, files,
 * Redis). Each channel value is a blob stored once per (thread, ns, channel, version), so a put
 * writes only the channels whose versions changed (small scalars, null and short strings ride in the
 * checkpoint's payload instead: a row and a key less per change); arrays are stored as delta chains
 * (channelDeltas) so a conversation grows linearly; versions are unique per branch
 * (channel-versions.ts), so a fork or replay never changes what an older checkpoint reads. Pending
 * writes keep LangGraph's rule that the special negative indices replace while ordinary ones are
 * written once.
 */
export class StowageSaver extends BaseCheckpointSaver {
  readonly store: CheckpointStore;
  readonly #encoding: ValueEncoding;
  readonly #plainJson: boolean;
  readonly #channelDeltas: boolean;
  readonly #putOptions: { ttl?: number; channelDeltas: boolean; compressAbove?: number };
  readonly #onEnd: (() => Promise<void>) | undefined;
  /** (thread, ns, checkpoint id) → the channels its payload carries, at their versions: the last puts of this process. */
  readonly #inlineOf = new Map<string, Map<string, string | number>>();

  constructor(store: CheckpointStore, options: StowageSaverOptions = {}, serde?: SerializerProtocol) {
    super(serde);
    this.store = store;
    this.#encoding = options.encoding ?? "binary";
    this.#plainJson = skipsSerde(this.serde);
    this.#channelDeltas = options.channelDeltas ?? true;
    this.#putOptions = {
      channelDeltas: this.#channelDeltas,
      ...(options.ttl !== undefined ? { ttl: options.ttl } : {}),
      ...(options.compressAbove !== undefined ? { compressAbove: options.compressAbove } : {}),
    };
    this.#onEnd = options.onEnd;
  }

  /**
   * A version unique to this branch (see nextChannelVersion). Typed as a number because LangGraph's
   * `compile({ checkpointer })` takes BaseCheckpointSaver<number>; string versions are allowed at run time.
   */
  override getNextVersion(current: number | undefined): number {
    return nextChannelVersion(current) as number;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id;
    if (threadId === undefined || threadId === null || threadId === "") return undefined;
    const ns: string = config.configurable?.checkpoint_ns ?? "";
    const id = getCheckpointId(config) || undefined;
    const loaded = await this.store.get(String(threadId), { ns, ...(id !== undefined ? { id } : {}) });
    return loaded && this.#tuple(loaded);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { limit, before, filter } = options;
    if (limit !== undefined && limit <= 0) return;
    const rawThread = config.configurable?.thread_id;
    const threadId = rawThread === undefined || rawThread === null || rawThread === "" ? undefined : String(rawThread);
    const ns: string | undefined = config.configurable?.checkpoint_ns;
    const beforeId = before?.configurable?.checkpoint_id as string | undefined;
    const metadataFilter = jsonFilter(filter);
    const onlyId = config.configurable?.checkpoint_id as string | undefined;
    if (onlyId) {
      // One checkpoint asked for by id: list's other conditions still apply to it.
      if (threadId === undefined || (beforeId !== undefined && onlyId >= beforeId)) return;
      const loaded = await this.store.get(threadId, { ns: ns ?? "", id: onlyId });
      if (loaded && matchesFilter(loaded.metadata, metadataFilter)) yield await this.#tuple(loaded);
      return;
    }
    const listOptions = {
      ...(threadId !== undefined ? { threadId } : {}),
      ...(ns !== undefined ? { ns } : {}),
      ...(beforeId !== undefined ? { before: beforeId } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(metadataFilter !== undefined ? { filter: metadataFilter } : {}),
    };
    // The store reads each page with its blobs and writes in one go (one read on SQLite).
    for await (const loaded of this.store.listWithState(listOptions)) yield await this.#tuple(loaded);
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    if (!config.configurable) throw new Error('put needs config.configurable with a "thread_id"');
    const rawThread = config.configurable.thread_id;
    if (rawThread === undefined || rawThread === null || rawThread === "") {
      throw new Error('put needs a "thread_id" in config.configurable');
    }
    const threadId = String(rawThread);
    const ns: string = config.configurable.checkpoint_ns ?? "";
    const parentId: string | undefined = config.configurable.checkpoint_id || undefined;
    const { channel_values: channelValues, ...skeleton } = checkpoint;
    // Small scalars ride in the payload (a blob each would cost a row and a key per change, and a
    // map entry per checkpoint); the store's channel map names only the channels kept as blobs.
    // A channel is stored only at a put that names it in newVersions (LangGraph's rule), so an
    // unchanged one rides along only when the parent carried it at this version; when the parent
    // is unknown here (another process wrote it), its value is written as the blob of its version.
    const parentKey = parentId === undefined ? undefined : `${threadId}\u0000${ns}\u0000${parentId}`;
    const parentInline = parentKey === undefined ? new Map<string, string | number>() : this.#inlineOf.get(parentKey);
    const inline: Record<string, unknown> = {};
    const inlineVersions = new Map<string, string | number>();
    const blobChannels: Record<string, string | number> = {};
    const restored: [string, string | number][] = [];
    for (const channel in checkpoint.channel_versions) {
      const version = checkpoint.channel_versions[channel] as string | number;
      const small = Object.hasOwn(channelValues, channel) && isInlineValue(channelValues[channel]);
      if (small && (Object.hasOwn(newVersions, channel) || parentInline?.get(channel) === version)) {
        inline[channel] = channelValues[channel];
        inlineVersions.set(channel, version);
        continue;
      }
      blobChannels[channel] = version;
      if (small && parentInline === undefined) restored.push([channel, version]);
    }
    const changed: [string, string | number][] = Object.entries(newVersions).filter(
      ([channel]) => Object.hasOwn(channelValues, channel) && !Object.hasOwn(inline, channel),
    );
    for (const entry of restored) if (!Object.hasOwn(newVersions, entry[0])) changed.push(entry);
    const { filterable, exact } = filterableMetadata(metadata);
    // One list of dumps, awaited only when serde had to run.
    const pending = settleAll([
      dumpValue(this.serde, { ...skeleton, channel_values: inline }, this.#encoding, this.#plainJson),
      exact ? undefined : dumpValue(this.serde, metadata, this.#encoding, this.#plainJson),
      ...changed.map(([channel]) => this.#dumpChannel(channelValues[channel])),
    ]);
    const dumped = pending instanceof Promise ? await pending : pending;
    const c = dumped[0] as StoredTyped;
    const m = dumped[1] as StoredTyped | undefined;
    const storedBlobs: ChannelBlob[] = changed.map(([channel, version], i) => ({
      channel,
      version,
      value: dumped[2 + i],
    }));
    const payload: StoredPayload = m === undefined ? { c } : { c, m };
    this.#rememberInline(`${threadId}\u0000${ns}\u0000${checkpoint.id}`, inlineVersions);
    await this.store.put(
      {
        threadId,
        ns,
        id: checkpoint.id,
        parentId: parentId ?? null,
        metadata: filterable,
        payload,
        channels: blobChannels,
        blobs: storedBlobs,
      },
      this.#putOptions,
    );
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  /** A channel value as stored: an array element by element when deltas are on, so appends become deltas. */
  #dumpChannel(value: unknown): MaybePromise<unknown> {
    if (this.#channelDeltas && Array.isArray(value)) {
      return dumpElements(this.serde, value, this.#encoding, this.#plainJson);
    }
    return dumpValue(this.serde, value, this.#encoding, this.#plainJson);
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const rawThread = config.configurable?.thread_id;
    if (rawThread === undefined || rawThread === null || rawThread === "") {
      throw new Error('putWrites needs a "thread_id" in config.configurable');
    }
    const checkpointId = config.configurable?.checkpoint_id;
    if (!checkpointId) throw new Error('putWrites needs a "checkpoint_id" in config.configurable');
    const pending = settleAll(writes.map(([, value]) => dumpValue(this.serde, value, this.#encoding, this.#plainJson)));
    const values = pending instanceof Promise ? await pending : pending;
    // The special channels (error, scheduled, interrupt, resume) take negative indices that replace,
    // one stored write each. The ordinary writes of one call (a task's output) with indices below 51
    // are one stored write, a pack (see unpackedWrites): a row and a key per call, not per channel.
    const path = taskPath ?? "";
    const stored: StowageWrite[] = [];
    const packed: [string, number, unknown][] = [];
    let mask = 0;
    for (let idx = 0; idx < writes.length; idx++) {
      const channel = (writes[idx] as PendingWrite)[0];
      const special = WRITES_IDX_MAP[channel];
      if (special !== undefined) stored.push({ taskId, index: special, channel, value: values[idx], taskPath: path });
      else if (idx < PACK_BITS) {
        packed.push([channel, idx, values[idx]]);
        mask += 2 ** idx;
      } else stored.push({ taskId, index: idx, channel, value: values[idx], taskPath: path });
    }
    if (packed.length > 0) {
      const pack: StoredPack = [nextPackSequence(), packed];
      stored.push({ taskId, index: PACK_BASE + mask, channel: PACKED_WRITES, value: pack, taskPath: path });
    }
    await this.store.putWrites(
      String(rawThread),
      { ns: config.configurable?.checkpoint_ns ?? "", checkpointId },
      stored,
    );
  }

  /** Keeps the inline channels of the newest puts (a bounded map: the oldest go first). */
  #rememberInline(key: string, versions: Map<string, string | number>): void {
    this.#inlineOf.delete(key);
    this.#inlineOf.set(key, versions);
    if (this.#inlineOf.size > INLINE_MEMORY) this.#inlineOf.delete(this.#inlineOf.keys().next().value as string);
  }

  async deleteThread(threadId: string): Promise<void> {
    const prefix = `${String(threadId)}\u0000`;
    for (const key of this.#inlineOf.keys()) if (key.startsWith(prefix)) this.#inlineOf.delete(key);
    await this.store.deleteThread(String(threadId));
  }

  /** Closes the store when the saver opened it. */
  async end(): Promise<void> {
    await this.#onEnd?.();
  }

  async #tuple(loaded: CheckpointWithState): Promise<CheckpointTuple> {
    const payload = loaded.payload as StoredPayload;
    const channelEntries = Object.entries(loaded.channelValues);
    const writes = sortedWrites(unpackedWrites(loaded.pendingWrites));
    // One list of loads, awaited only when serde had to run: plain JSON values come back as they are.
    const loads = [
      loadValue(this.serde, payload.c),
      payload.m === undefined ? loaded.metadata : loadValue(this.serde, payload.m),
      ...channelEntries.map(([, value]) => loadValue(this.serde, value)),
      ...writes.map((write) => loadValue(this.serde, write.value)),
    ];
    const pending = settleAll(loads);
    const values = pending instanceof Promise ? await pending : pending;
    const checkpoint = values[0] as Checkpoint;
    // The payload's own channel values (small scalars) first; stores from before kept none there.
    const channelValues: Record<string, unknown> = { ...checkpoint.channel_values };
    for (let i = 0; i < channelEntries.length; i++)
      channelValues[(channelEntries[i] as [string, unknown])[0]] = values[2 + i];
    checkpoint.channel_values = channelValues;
    const writesAt = 2 + channelEntries.length;
    const pendingWrites = writes.map(
      (write, i): CheckpointPendingWrite => [write.taskId, write.channel, values[writesAt + i]],
    );
    const configurable = { thread_id: loaded.threadId, checkpoint_ns: loaded.ns };
    if (checkpoint.v < 4 && loaded.parentId !== null) await this.#migratePendingSends(checkpoint, loaded);
    const tuple: CheckpointTuple = {
      config: { configurable: { ...configurable, checkpoint_id: loaded.id } },
      checkpoint,
      metadata: values[1] as CheckpointMetadata,
      pendingWrites,
    };
    if (loaded.parentId !== null)
      tuple.parentConfig = { configurable: { ...configurable, checkpoint_id: loaded.parentId } };
    return tuple;
  }

  /** Pending writes in writesSortKey order, values loaded. */
  async #pendingWrites(writes: readonly StowageWrite[]): Promise<CheckpointPendingWrite[]> {
    const ordered = sortedWrites(unpackedWrites(writes));
    const values = await Promise.all(ordered.map((write) => loadValue(this.serde, write.value)));
    return ordered.map((write, i) => [write.taskId, write.channel, values[i]]);
  }

  /** Checkpoints older than format 4 kept pending sends as the parent's TASKS writes; they become a channel. */
  async #migratePendingSends(checkpoint: Checkpoint, loaded: CheckpointWithState): Promise<void> {
    const parent = await this.store.get(loaded.threadId, { ns: loaded.ns, id: loaded.parentId as string });
    const sends = (await this.#pendingWrites(parent?.pendingWrites ?? []))
      .filter(([, channel]) => channel === TASKS)
      .map(([, , value]) => value);
    checkpoint.channel_values ??= {};
    checkpoint.channel_values[TASKS] = sends;
    checkpoint.channel_versions ??= {};
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] =
      versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }
}

/**
 * Packs: the stored channel of one putWrites call's ordinary writes with indices below PACK_BITS,
 * stored under index PACK_BASE + the bit mask of those indices, as [sequence, [channel, index, value][]].
 * A call repeating a pack's indices meets it and is kept out by the store (first write wins), as
 * LangGraph's savers keep out each (task, index) already written; packs of other index sets are all
 * kept, and where two hold one (task, index) the one with the lower sequence (written first) wins.
 * Writes of indices from PACK_BITS on are stored one each, as before packs. U+FDD0 is no LangGraph channel.
 */
const PACKED_WRITES = "\uFDD0writes";
const PACK_BITS = 51;
const PACK_BASE = 2 ** 51;

type StoredPack = [number, [string, number, unknown][]];

let packCounter = 0;

/** Wall-clock ms × 4096 + a counter: the order this process wrote its packs in (and, roughly, across processes). */
function nextPackSequence(): number {
  packCounter = (packCounter + 1) % 4096;
  return Date.now() * 4096 + packCounter;
}

/** The writes as LangGraph gave them: each pack becomes its members, first written first. */
function unpackedWrites(writes: readonly StowageWrite[]): readonly StowageWrite[] {
  if (!writes.some((write) => write.channel === PACKED_WRITES)) return writes;
  const out: StowageWrite[] = [];
  const packs: { write: StowageWrite; pack: StoredPack }[] = [];
  const taken = new Set<string>();
  for (const write of writes) {
    if (write.channel !== PACKED_WRITES) {
      out.push(write);
      if (write.index >= 0) taken.add(`${write.taskId}\u0000${write.index}`);
      continue;
    }
    const pack = write.value as StoredPack;
    if (!Array.isArray(pack) || typeof pack[0] !== "number" || !Array.isArray(pack[1])) {
      throw new TypeError("a packed LangGraph write is not [sequence, writes]");
    }
    packs.push({ write, pack });
  }
  if (packs.length > 1) packs.sort((a, b) => a.pack[0] - b.pack[0]);
  for (const { write, pack } of packs) {
    for (const member of pack[1]) {
      if (!Array.isArray(member) || typeof member[0] !== "string" || !Number.isSafeInteger(member[1])) {
        throw new TypeError("a packed LangGraph write holds a member that is not [channel, index, value]");
      }
      const key = `${write.taskId}\u0000${member[1]}`;
      if (taken.has(key)) continue;
      taken.add(key);
      out.push({
        taskId: write.taskId,
        index: member[1],
        channel: member[0],
        value: member[2],
        taskPath: write.taskPath,
      });
    }
  }
  return out;
}

/** How many puts' inline channels the saver remembers (a few hundred bytes each). */
const INLINE_MEMORY = 10_000;

/** Longest string kept in the payload rather than as a blob. */
const INLINE_STRING = 256;

/** A value kept in the checkpoint's payload: null, a boolean, a finite number (not -0) or a short string. */
function isInlineValue(value: unknown): boolean {
  switch (typeof value) {
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "string":
      return value.length <= INLINE_STRING;
    default:
      return value === null;
  }
}

/** Pending writes in writesSortKey order (task path, task id, index), as LangGraph replays them. */
function sortedWrites(writes: readonly StowageWrite[]): readonly StowageWrite[] {
  if (writes.length < 2) return writes;
  return [...writes].sort((a, b) =>
    compareWritesSortKeys(
      writesSortKey(a.taskPath ?? "", a.taskId, a.index),
      writesSortKey(b.taskPath ?? "", b.taskId, b.index),
    ),
  );
}
