import { assertArray, assertObject, assertOptions } from "../arguments.js";
import { wallNow } from "../clock.js";
import type { Codec } from "../codecs/codec.js";
import { jsonCodec } from "../codecs/json-codec.js";
import type {
  Checkpoint,
  CheckpointInput,
  CheckpointPutOptions,
  CheckpointStore as CheckpointStoreContract,
  CheckpointWithState,
  ListOptions,
  OperationLatency,
  PendingWrite,
} from "../contracts.js";
import type {
  CheckpointDriver,
  CheckpointPageQuery,
  LoadedCheckpoint,
  StoredBlob,
  StoredCheckpoint,
  StoredWrite,
} from "../drivers/checkpoint-driver.js";
import { InvalidArgumentError } from "../errors.js";
import type { JsonObject } from "../json.js";
import { assertIdentifier, assertKey } from "../keys.js";
import { events } from "../observability/channels.js";
import { OperationStats } from "../observability/operation-stats.js";
import { type BackendHandle, StoreBase } from "../store-base.js";
import { assertTtl, expiresAtFor } from "../ttl.js";
import { assertValueFits, DEFAULT_MAX_VALUE_BYTES } from "../value-size.js";
import { newCheckpointId } from "./checkpoint-id.js";
import { compressBlob } from "./deltas/blob-compression.js";
import { channelValues, userChannels } from "./deltas/delta-reader.js";
import { type BlobInput, ChannelDeltas } from "./deltas/delta-writer.js";
import { hasMarkedNames, storedName } from "./deltas/link-names.js";
import { matchesFilter } from "./metadata-filter.js";

/** Options of a checkpoint store. */
export interface CheckpointStoreOptions {
  namespace: string;
  codec: Codec;
  /** TTL (ms) of a checkpoint when put gives none; undefined = never expires. The seed's default is 7 days. */
  defaultTtl?: number;
  /** Largest encoded payload, blob or pending write accepted, in bytes; DEFAULT_MAX_VALUE_BYTES when left out. */
  maxValueBytes?: number;
  /** Memory (bytes) for what puts with channelDeltas last wrote per thread; 64 MiB when left out. */
  deltaMemoryBytes?: number;
}

/** The seed's checkpoint TTL: 7 days. */
export const DEFAULT_CHECKPOINT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const LIST_PAGE = 64;

/** A string identifier: a wrong type is ERR_INVALID_ARGUMENT, a string outside the identifier rule ERR_INVALID_KEY. */
function assertString(value: unknown, field: string, allowEmpty: boolean): asserts value is string {
  if (typeof value !== "string") {
    throw new InvalidArgumentError(
      `${field} must be a ${allowEmpty ? "" : "non-empty "}string, got ${typeof value === "bigint" ? `${value}n` : JSON.stringify(value)}`,
    );
  }
  assertIdentifier(value, field, allowEmpty);
}

/** The JSON text of a JSON object; SerializationError for anything JSON cannot hold. */
function jsonObjectText(value: unknown, field: string): string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${field} must be a JSON object`);
  }
  return (jsonCodec.encodeText as (value: unknown) => string)(value);
}

function assertJsonObject(value: unknown, field: string): asserts value is JsonObject {
  jsonObjectText(value, field);
}

function assertVersion(value: unknown, field: string): asserts value is string | number {
  if (typeof value === "string") return assertIdentifier(value, field);
  if (!(typeof value === "number" && Number.isFinite(value))) {
    throw new InvalidArgumentError(`${field} must be a string or a finite number, got ${String(value)}`);
  }
}

/** The checkpoint contract over any backend's CheckpointDriver: validation, ids, codec and filtering live here once. */
export class CheckpointStore extends StoreBase implements CheckpointStoreContract {
  readonly namespace: string;
  readonly driver: CheckpointDriver;
  readonly #codec: Codec;
  readonly #defaultTtl: number | undefined;
  readonly #maxValueBytes: number;
  /** Latency of each operation, recorded by the instrument() wrapper storage.ts applies. */
  readonly operations = new OperationStats();
  readonly #deltas: ChannelDeltas;

  constructor(driver: CheckpointDriver, handle: BackendHandle, options: CheckpointStoreOptions) {
    super(handle, `checkpoint store "${options.namespace}"`);
    if (options.defaultTtl !== undefined) assertTtl(options.defaultTtl, "checkpoint defaultTtl");
    this.driver = driver;
    this.namespace = options.namespace;
    this.#codec = options.codec;
    this.#defaultTtl = options.defaultTtl;
    this.#maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.#deltas = new ChannelDeltas(options.deltaMemoryBytes ?? 64 * 1024 * 1024, this.#maxValueBytes);
  }

  /** The codec's bytes for a payload, blob or write value, within maxValueBytes. */
  #encode(value: unknown, what: string): Uint8Array {
    const bytes = this.#codec.encode(value);
    assertValueFits(bytes.byteLength, this.#maxValueBytes, what);
    return bytes;
  }

  async put(
    input: CheckpointInput,
    options?: CheckpointPutOptions,
  ): Promise<{ threadId: string; ns: string; id: string }> {
    this.assertOpen();
    assertObject(input, "put's checkpoint");
    assertOptions(options);
    assertKey(input.threadId, "threadId");
    // Only a left-out field takes its default: null is a wrong value.
    const ns = input.ns === undefined ? "" : input.ns;
    assertString(ns, "ns", true);
    const id = input.id === undefined ? newCheckpointId() : input.id;
    assertString(id, "id", false);
    const parentId = input.parentId ?? null;
    if (parentId !== null) assertIdentifier(parentId, "parentId");
    const metadata = (input.metadata ?? {}) as JsonObject;
    // Made once: the check, and the text a driver that stores JSON text writes (no second stringify).
    const metadataText = jsonObjectText(metadata, "metadata");
    const channels = input.channels ?? {};
    assertObject(channels, "channels");
    for (const [channel, version] of Object.entries(channels)) {
      assertIdentifier(channel, "channel name");
      assertVersion(version, `channels.${channel}`);
    }
    const givenBlobs: unknown = input.blobs ?? [];
    assertArray(givenBlobs, "blobs");
    const blobs: BlobInput[] = (givenBlobs as NonNullable<CheckpointInput["blobs"]>).map((blob, i) => {
      assertObject(blob as unknown, `blobs[${i}]`);
      assertString(blob.channel, `blobs[${i}].channel`, false);
      assertVersion(blob.version, `blobs[${i}].version`);
      return blob;
    });
    const encodeValue = (value: unknown, what: string) => this.#encode(value, what);
    const payload = this.#encode(input.payload, "payload");
    const deltas = options?.channelDeltas;
    const encoded =
      deltas === undefined
        ? plainChannels(channels, blobs, encodeValue)
        : await this.#deltas.encode(
            this.driver,
            { threadId: input.threadId, ns, id, parentId },
            channels,
            blobs,
            deltas,
            encodeValue,
            (bytes) => this.#codec.decode(bytes),
          );
    const compressAbove = options?.compressAbove;
    if (compressAbove !== undefined) {
      if (!Number.isSafeInteger(compressAbove) || compressAbove < 1) {
        throw new InvalidArgumentError(
          `compressAbove must be a positive integer of bytes, got ${String(compressAbove)}`,
        );
      }
      for (const blob of encoded.blobs) blob.value = compressBlob(blob.value, compressAbove);
    }
    const now = wallNow();
    const stored: StoredCheckpoint = {
      threadId: input.threadId,
      ns,
      id,
      parentId,
      metadata,
      metadataText,
      payload,
      channels: encoded.channels,
      createdAt: now,
      expiresAt: expiresAtFor(options?.ttl, this.#defaultTtl, now),
    };
    try {
      await this.driver.put(stored, encoded.blobs);
    } catch (error) {
      if (deltas !== undefined) this.#deltas.forget(input.threadId);
      throw error;
    }
    if (events.checkpointPut.hasSubscribers)
      events.checkpointPut.publish({ namespace: this.namespace, threadId: input.threadId, ns, id });
    return { threadId: input.threadId, ns, id };
  }

  get(threadId: string, options: { ns?: string; id?: string } = {}): Promise<CheckpointWithState | undefined> {
    // Not async: a checkpoint read is one driver call and one decode, without an extra await's microtask.
    try {
      this.assertOpen();
      assertKey(threadId, "threadId");
      assertOptions(options);
      const ns = options.ns === undefined ? "" : options.ns;
      if (ns !== "") assertString(ns, "ns", true);
      if (options.id !== undefined) assertString(options.id, "id", false);
      return this.driver.get(threadId, ns, options.id).then((loaded) => loaded && this.#withState(loaded));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async *list(options: ListOptions = {}): AsyncIterable<Checkpoint> {
    this.assertOpen();
    for await (const page of this.#pages(options, (query) => this.driver.listPage(query))) {
      for (const stored of page) yield this.#decode(stored);
    }
  }

  /**
   * What list gives, each checkpoint with its channel values and pending writes as get gives
   * them, read a page at a time (one read per page where the backend has listLoadedPage).
   * Checkpoints that expire or go between the listing and the load are left out.
   */
  async *listWithState(options: ListOptions = {}): AsyncIterable<CheckpointWithState> {
    this.assertOpen();
    const { driver } = this;
    const loadedPage = driver.listLoadedPage?.bind(driver);
    const pages = loadedPage ? this.#pages(options, loadedPage) : this.#pages(options, (q) => driver.listPage(q));
    for await (const page of pages) {
      // Without listLoadedPage, the gets of a page run together (a networked backend pipelines them).
      const loaded: (LoadedCheckpoint | undefined)[] = loadedPage
        ? (page as LoadedCheckpoint[])
        : await Promise.all(page.map((stored) => driver.get(stored.threadId, stored.ns, stored.id)));
      for (const checkpoint of loaded) if (checkpoint !== undefined) yield this.#withState(checkpoint);
    }
  }

  /** Validates list options and reads pages newest first, filtered on metadata, until `limit`. */
  async *#pages<T extends StoredCheckpoint>(
    options: ListOptions,
    readPage: (query: CheckpointPageQuery) => Promise<T[]>,
  ): AsyncIterable<T[]> {
    assertOptions(options);
    if (options.threadId !== undefined) assertKey(options.threadId, "threadId");
    if (options.ns !== undefined) assertIdentifier(options.ns, "ns", true);
    if (options.before !== undefined) assertIdentifier(options.before, "before");
    if (options.filter !== undefined) assertJsonObject(options.filter, "filter");
    if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
      throw new InvalidArgumentError(`limit must be a positive integer or left out, got ${String(options.limit)}`);
    }
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    let before = options.before;
    let yielded = 0;
    for (;;) {
      // Without a filter every row read is returned, so a page of `limit` reads only what is asked.
      const pageSize = options.filter ? LIST_PAGE : Math.min(LIST_PAGE, limit - yielded);
      const page = await readPage({
        ...(options.threadId !== undefined ? { threadId: options.threadId } : {}),
        ...(options.ns !== undefined ? { ns: options.ns } : {}),
        ...(before !== undefined ? { before } : {}),
        limit: pageSize,
      });
      const kept = options.filter ? page.filter((stored) => matchesFilter(stored.metadata, options.filter)) : page;
      const taken = kept.length > limit - yielded ? kept.slice(0, limit - yielded) : kept;
      if (taken.length > 0) yield taken;
      yielded += taken.length;
      if (yielded >= limit || page.length < pageSize) return;
      before = page[page.length - 1]?.id;
    }
  }

  async putWrites(
    threadId: string,
    target: { ns?: string; checkpointId: string },
    writes: readonly PendingWrite[],
  ): Promise<void> {
    this.assertOpen();
    assertKey(threadId, "threadId");
    assertObject(target, "putWrites' target");
    const ns = target.ns === undefined ? "" : target.ns;
    assertString(ns, "ns", true);
    assertString(target?.checkpointId, "checkpointId", false);
    if (!Array.isArray(writes)) throw new InvalidArgumentError("writes must be an array");
    const stored: StoredWrite[] = writes.map((write: PendingWrite, i) => {
      assertObject(write as unknown, `writes[${i}]`);
      if (write.taskPath !== undefined && typeof write.taskPath !== "string") {
        throw new InvalidArgumentError(`writes[${i}].taskPath must be a string or left out`);
      }
      assertString(write.taskId, `writes[${i}].taskId`, false);
      assertString(write.channel, `writes[${i}].channel`, false);
      if (!Number.isSafeInteger(write.index)) throw new InvalidArgumentError(`writes[${i}].index must be an integer`);
      return {
        taskId: write.taskId,
        index: write.index,
        channel: write.channel,
        value: this.#encode(write.value, `writes[${i}].value`),
        taskPath: write.taskPath ?? "",
      };
    });
    if (stored.length === 0) return;
    await this.driver.putWrites(threadId, ns, target.checkpointId, stored);
  }

  async deleteThread(threadId: string): Promise<void> {
    this.assertOpen();
    assertKey(threadId, "threadId");
    this.#deltas.forget(threadId);
    await this.driver.deleteThread(threadId);
    if (events.checkpointDelete.hasSubscribers)
      events.checkpointDelete.publish({ namespace: this.namespace, threadId });
  }

  async prune(threadId: string, options: { keepLast: number; ns?: string }): Promise<number> {
    this.assertOpen();
    assertKey(threadId, "threadId");
    if (!Number.isInteger(options?.keepLast) || options.keepLast < 0) {
      throw new InvalidArgumentError(`keepLast must be a non-negative integer, got ${String(options?.keepLast)}`);
    }
    if (options.ns !== undefined) assertIdentifier(options.ns, "ns", true);
    this.#deltas.forget(threadId);
    return this.driver.prune(threadId, options.keepLast, options.ns);
  }

  async countThread(threadId: string): Promise<number> {
    this.assertOpen();
    assertKey(threadId, "threadId");
    return this.driver.countThread(threadId);
  }

  async gc(): Promise<number> {
    this.assertOpen();
    return this.driver.gc();
  }

  async stats(): Promise<{ threads: number; checkpoints: number; operations: Record<string, OperationLatency> }> {
    this.assertOpen();
    return { ...(await this.driver.size()), operations: this.operations.snapshot() };
  }

  #withState(loaded: LoadedCheckpoint): CheckpointWithState {
    // Built in one literal (no spread of #decode's object): this runs once per get.
    return {
      threadId: loaded.threadId,
      ns: loaded.ns,
      id: loaded.id,
      parentId: loaded.parentId,
      metadata: loaded.metadata,
      payload: this.#codec.decode(loaded.payload),
      channels: userChannels(loaded.channels),
      createdAt: loaded.createdAt,
      channelValues: channelValues(loaded, this.#codec),
      pendingWrites: loaded.writes.map((write) => ({
        taskId: write.taskId,
        index: write.index,
        channel: write.channel,
        value: this.#codec.decode(write.value),
        taskPath: write.taskPath,
      })),
    };
  }

  #decode(stored: StoredCheckpoint): Checkpoint {
    return {
      threadId: stored.threadId,
      ns: stored.ns,
      id: stored.id,
      parentId: stored.parentId,
      metadata: stored.metadata,
      payload: this.#codec.decode(stored.payload),
      channels: userChannels(stored.channels),
      createdAt: stored.createdAt,
    };
  }
}

/** Channels and blobs as given, every value whole; only a name that begins with the link mark is escaped. */
function plainChannels(
  channels: Record<string, string | number>,
  blobs: readonly BlobInput[],
  encodeValue: (value: unknown, what: string) => Uint8Array,
): { channels: Record<string, string | number>; blobs: StoredBlob[] } {
  const stored = hasMarkedNames(channels)
    ? Object.fromEntries(Object.entries(channels).map(([channel, version]) => [storedName(channel), version]))
    : channels;
  return {
    channels: stored,
    blobs: blobs.map((blob, i) => ({
      channel: storedName(blob.channel),
      version: blob.version,
      value: encodeValue(blob.value, `blobs[${i}].value`),
    })),
  };
}
