import type { CycleResult } from "../contention/cycle.js";
/** Cache primitives every cache-like subject offers the scenarios; values are plain JSON-able data. */
export interface CacheOps {
  set(key: string, value: unknown, ttlMs: number): Promise<unknown>;
  get(key: string): Promise<unknown>;
  /** Read-through: the cached value, else load()'s, stored for ttlMs (the hybrid probe's workloads). */
  getOrSet?(key: string, load: () => unknown, ttlMs: number): Promise<unknown>;
}

/** A lock held by a subject. */
export interface HeldLock {
  release(): Promise<unknown>;
}

/** Lock primitives: acquire waits up to `waitMs` and throws when the name stays held. */
export interface LockOps {
  acquire(name: string, ttlMs: number, waitMs: number): Promise<HeldLock>;
}

/** Checkpoint primitives: save/load for `seed`; list/deleteThread for the `checkpoint` scenario. */
export interface CheckpointOps {
  save(threadId: string, payload: unknown, ttlMs: number): Promise<unknown>;
  /** The latest checkpoint of the thread. */
  load(threadId: string): Promise<unknown>;
  list?(threadId: string, limit: number): Promise<unknown[]>;
  deleteThread?(threadId: string): Promise<unknown>;
}

/** A subject opened for one scenario. */
export interface OpenSubject {
  cache?: CacheOps;
  lock?: LockOps;
  checkpoint?: CheckpointOps;
  /** Removes what the run wrote where it can, and closes connections. */
  close(): Promise<void>;
}

export type Capability = "cache" | "lock" | "checkpoint" | "checkpointList";

/** How a child process opens the same subject: a stowage URL, or a peer by name. */
export type WorkerSpec = { kind: "url"; url: string } | { kind: "peer"; name: string };

/** A rows' producer from the seed workload run outside this process (the Python peer). */
export interface ExternalSeed {
  /** Runs the whole seed workload and returns one row per seed operation, or throws SkipError. */
  runSeed(options: { n: number; repeats: number; warmup: number }): Promise<ExternalRow[]>;
  /** Starts a long-lived runner that measures one repeat of one row group per call, so its repeats take turns with ours. */
  serve?(): Promise<SeedServer>;
}

/** One external process that runs a seed row group (cache_set, lock, …: the harness's repeat keys) on request. */
export interface SeedServer {
  /** One repeat of `group`: its rows' summaries, and the process's peak RSS so far. */
  run(
    group: string,
    n: number,
    tag: string,
    minMs: number,
  ): Promise<{ rows: Record<string, import("../stats.js").RunSummary>; rssBytes: number }>;
  close(): Promise<void>;
}

/** Contenders run outside this process (the Python peer's filelock): one result per process. */
export interface ExternalContention {
  run(options: { workers: number; durationMs: number; holdMs: number }): Promise<CycleResult[]>;
}

/** A row measured by an external runner. */
export interface ExternalRow {
  row: string;
  n: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  rssBytes: number;
}

/** Something benchmarked: a stowage backend (by URL) or a peer library. */
export interface Subject {
  /** Shown in every row: the URL for a backend, the peer's name otherwise. */
  name: string;
  kind: "backend" | "peer";
  /** What it offers; a subject that fails to open gets a skipped row for each of these. */
  capabilities: readonly Capability[];
  /** For a raw-driver peer: the backend scheme it is the ceiling of (e.g. "sqlite"). */
  ceilingOf?: string;
  open?(): Promise<OpenSubject>;
  /** Set when several processes can share it (contention runs workers as processes). */
  worker?: WorkerSpec;
  external?: ExternalSeed;
  contention?: ExternalContention;
  /** The server it talks to, shown beside its rows (Redis peers). */
  server?(): string;
}

/** Thrown when a subject cannot run here; the reason is printed in its rows. */
export class SkipError extends Error {
  override readonly name = "SkipError";
}
