import type { BackendHealth } from "./drivers/backend.js";
import type { JsonObject } from "./json.js";
import type { OperationLatency } from "./observability/operation-stats.js";

export type { OperationLatency };

/** Per-call options of cache writes. */
export interface SetOptions {
  /** Milliseconds to live (positive integer); the store's default TTL when left out. */
  ttl?: number;
}

/** Per-call options of getOrSet. */
export interface GetOrSetOptions extends SetOptions {
  /**
   * "load": while the backend is unavailable (ERR_BACKEND_UNAVAILABLE), run the loader and return
   * its value without storing it, counted in stats().degradedLoads. "throw" (the default) rejects.
   */
  onBackendUnavailable?: "throw" | "load";
}

/** Counters kept by every cache, in this process. */
export interface CacheStats {
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  /** getOrSet loads actually run (concurrent callers of one key share one). */
  loads: number;
  /** getOrSet callers that joined a load already under way. */
  sharedLoads: number;
  /** getOrSet loads whose value was returned unstored because the backend was unavailable. */
  degradedLoads: number;
  /** Operations that failed in the backend (unreachable, corrupt data); refused input is not counted. */
  errors: number;
  /** True when the backend did not answer just now: entries and bytes are the last values it gave. */
  sizeStale?: boolean;
  /** Latency of each operation called at least once, in this process. */
  operations: Record<string, OperationLatency>;
}

/** Counters kept by every lock store, in this process. */
export interface LockStats {
  /** Leases granted (acquire, tryAcquire, withLock). */
  acquisitions: number;
  /** acquire calls that found the name held and waited (granted or not). */
  waits: number;
  /** Milliseconds spent in those waits, in all and in the longest. */
  waitTotalMs: number;
  waitMaxMs: number;
  /** acquire calls that gave up after waitMs (LockTimeoutError). */
  timeouts: number;
  /** Leases found expired or taken when extended or released. */
  lost: number;
  releases: number;
  operations: Record<string, OperationLatency>;
}

/** The cache contract: every backend keeps these promises (see DESIGN.md). */
export interface Cache extends AsyncDisposable {
  /** The namespace this cache reads and writes; other namespaces are invisible to it. */
  readonly namespace: string;
  /** Returns the value, or undefined when absent or expired. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Returns the values in the order of `keys`, undefined where absent or expired. */
  getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]>;
  /** Stores the value (SerializationError and nothing written when the codec cannot encode it). */
  set(key: string, value: unknown, options?: SetOptions): Promise<void>;
  /** Stores every entry; validates them all before writing any. */
  setMany(entries: readonly { key: string; value: unknown; ttl?: number }[]): Promise<void>;
  /** Removes the key; true when a live entry was removed. */
  delete(key: string): Promise<boolean>;
  /** Removes the keys; returns how many live entries were removed. */
  deleteMany(keys: readonly string[]): Promise<number>;
  /** True when a live entry exists. */
  has(key: string): Promise<boolean>;
  /** Remaining ms of the entry (Infinity when it never expires), or undefined when absent. */
  ttl(key: string): Promise<number | undefined>;
  /** Atomically adds `by` (default 1) and returns the new value; an absent key starts at 0 with the given/default TTL. */
  incr(key: string, by?: number, options?: SetOptions): Promise<number>;
  /** Stores the value only when the key is absent or expired, atomically; true when stored. */
  add(key: string, value: unknown, options?: SetOptions): Promise<boolean>;
  /** Returns the cached value, or runs `load` once per key in this process (concurrent callers share it) and stores its result. */
  getOrSet<T>(key: string, load: () => T | Promise<T>, options?: GetOrSetOptions): Promise<T>;
  /** Yields live keys starting with `prefix` (all when empty). */
  keys(prefix?: string): AsyncIterable<string>;
  /** Removes every entry of this namespace only. */
  clear(): Promise<void>;
  /** RedisJSON-like access to a path inside a stored JSON document. */
  readonly json: JsonPathOps;
  /** Removes expired entries now; returns how many. */
  gc(): Promise<number>;
  /** Counters of this process, plus what the backend holds. */
  stats(): Promise<CacheStats & { entries: number; bytes: number }>;
  /** Reachability and latency of the backend; never throws. */
  health(): Promise<BackendHealth>;
  /** Closes this store; later calls reject with ERR_CLOSED. */
  close(): Promise<void>;
}

/** Path operations inside a JSON document stored at a key; each is atomic across processes. */
export interface JsonPathOps {
  /** The value at `path` (e.g. `$.a.b[0]`), or undefined when the key or path is absent. */
  get<T = unknown>(key: string, path: string): Promise<T | undefined>;
  /** Sets the value at `path`, creating the document and missing parents; keeps the key's TTL (or sets `ttl` when creating). */
  set(key: string, path: string, value: unknown, options?: SetOptions): Promise<void>;
  /** Removes the value at `path` (`$` removes the key); true when something was removed. */
  del(key: string, path: string): Promise<boolean>;
}

/** Options of lock acquisition. */
export interface AcquireOptions {
  /** Lease length in ms; the store default (30 s) when left out. */
  ttl?: number;
  /** How long to wait for a held name before LockTimeoutError; the store default (10 s) when left out. 0 = try once. */
  waitMs?: number;
  /** Mean pause between attempts in ms (jittered ±50%); default 50. */
  retryDelayMs?: number;
  /** Aborts the wait; the rejection is the signal's reason and nothing is left held. */
  signal?: AbortSignal;
}

/** A held lock. Its validity is timed on this process's monotonic clock. */
export interface Lease extends AsyncDisposable {
  readonly name: string;
  /** The fencing token: strictly greater than any earlier token for this name on this backend. */
  readonly token: bigint;
  /** Wall-clock ms at which the lease ends unless extended (an estimate for display; validity uses a monotonic clock). */
  readonly expiresAt: number;
  /** True while the lease has not been released and its time has not run out. */
  readonly held: boolean;
  /** Extends the lease to `ttl` ms from now (default: its original ttl); false when it expired, was released or was taken. */
  extend(ttl?: number): Promise<boolean>;
  /** Releases the lease; true when it was still held, false when it had expired, was taken or was already released. */
  release(): Promise<boolean>;
}

/** Options of withLock: acquisition options plus the background extension interval. */
export interface WithLockOptions extends AcquireOptions {
  /** How often to extend while `fn` runs, in ms; default ttl / 3. */
  extendEveryMs?: number;
}

/** The lock contract. */
export interface Lock extends AsyncDisposable {
  readonly namespace: string;
  /** Waits up to `waitMs` for the name and returns the lease, or rejects with LockTimeoutError (or the signal's reason). */
  acquire(name: string, options?: AcquireOptions): Promise<Lease>;
  /** Takes the name if it is free right now; undefined when held. */
  tryAcquire(name: string, options?: { ttl?: number }): Promise<Lease | undefined>;
  /**
   * Runs `fn` while holding the name, extending the lease in the background; `signal` aborts
   * if the lease is lost (and withLock then rejects with LockLostError). Always releases.
   */
  withLock<T>(
    name: string,
    fn: (signal: AbortSignal, lease: Lease) => T | Promise<T>,
    options?: WithLockOptions,
  ): Promise<T>;
  /** The current holder's token and expiry, or undefined when free. */
  inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined>;
  /** Acquisitions, waits, timeouts and lost leases counted in this process. */
  stats(): Promise<LockStats>;
  health(): Promise<BackendHealth>;
  close(): Promise<void>;
}

/** A channel value stored once per (thread, ns, channel, version); never replaced once written. */
export interface ChannelBlob {
  channel: string;
  version: string | number;
  value: unknown;
}

/** A pending write of a task. */
export interface PendingWrite {
  taskId: string;
  /** >= 0 appends; the negative LangGraph indices (-1 error, -2 scheduled, -3 interrupt, -4 resume) replace. */
  index: number;
  channel: string;
  value: unknown;
  taskPath?: string;
}

/** What `put` takes. */
export interface CheckpointInput {
  threadId: string;
  /** Checkpoint namespace inside the thread; "" by default. */
  ns?: string;
  /** Time-sortable id; generated (uuid6-style) when left out. */
  id?: string;
  parentId?: string | null;
  metadata?: JsonObject;
  payload: unknown;
  /** channel → version this checkpoint reads. */
  channels?: Record<string, string | number>;
  /**
   * New channel values to store (only the channels whose version changed). A blob is immutable: one
   * whose (thread, ns, channel, version) is already stored keeps its first value, so a put never
   * changes what an older checkpoint reads; give each branch its own versions.
   */
  blobs?: readonly ChannelBlob[];
}

/** A checkpoint as read back. */
export interface Checkpoint {
  threadId: string;
  ns: string;
  id: string;
  parentId: string | null;
  metadata: JsonObject;
  payload: unknown;
  channels: Record<string, string | number>;
  createdAt: number;
}

/** A checkpoint with its channel values and pending writes. */
export interface CheckpointWithState extends Checkpoint {
  /** channel → value, for the channels whose blob exists at the version this checkpoint names. */
  channelValues: Record<string, unknown>;
  pendingWrites: PendingWrite[];
}

/** What `list` takes. */
export interface ListOptions {
  /** Only this thread; every thread when left out. */
  threadId?: string;
  /** Only this checkpoint namespace; every namespace when left out. */
  ns?: string;
  /** Only checkpoints with ids strictly less than this. */
  before?: string;
  /** At most this many (positive integer). */
  limit?: number;
  /** Only checkpoints whose metadata has these keys with deeply equal values. */
  filter?: JsonObject;
}

/** Per-call options of a checkpoint put. */
export interface CheckpointPutOptions extends SetOptions {
  /**
   * true: a channel array that extends what this store last wrote for the channel (same thread and
   * ns, the parent's version) is stored as a delta on it; false: whole values. Given either way, the
   * chains of unchanged channels are kept; left out, the put neither writes nor follows chains.
   */
  channelDeltas?: boolean;
  /** Deflate (zlib level 1) each blob or delta record of at least this many bytes; left out: none. */
  compressAbove?: number;
}

/** The checkpoint contract. */
export interface CheckpointStore extends AsyncDisposable {
  readonly namespace: string;
  /** Stores a checkpoint and its new blobs; returns its address. */
  put(
    checkpoint: CheckpointInput,
    options?: CheckpointPutOptions,
  ): Promise<{ threadId: string; ns: string; id: string }>;
  /** The checkpoint with `id`, or the latest of (thread, ns) when no id; undefined when none. */
  get(threadId: string, options?: { ns?: string; id?: string }): Promise<CheckpointWithState | undefined>;
  /** Checkpoints newest first; cost grows with `limit`, not with the thread or store. */
  list(options?: ListOptions): AsyncIterable<Checkpoint>;
  /** What list() yields, each with its blobs and pending writes (as get() gives them), read a page at a time. */
  listWithState(options?: ListOptions): AsyncIterable<CheckpointWithState>;
  /** Adds pending writes to a checkpoint. */
  putWrites(
    threadId: string,
    target: { ns?: string; checkpointId: string },
    writes: readonly PendingWrite[],
  ): Promise<void>;
  /** Removes everything of the thread: checkpoints, blobs, writes, index entries. */
  deleteThread(threadId: string): Promise<void>;
  /** Keeps the newest `keepLast` per ns; returns how many checkpoints were removed. */
  prune(threadId: string, options: { keepLast: number; ns?: string }): Promise<number>;
  /** Counts every record the backend holds for the thread (0 after deleteThread). */
  countThread(threadId: string): Promise<number>;
  gc(): Promise<number>;
  stats(): Promise<{ threads: number; checkpoints: number; operations: Record<string, OperationLatency> }>;
  health(): Promise<BackendHealth>;
  close(): Promise<void>;
}
