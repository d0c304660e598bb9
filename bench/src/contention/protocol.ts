import type { WorkerSpec } from "../subjects/subject.js";
import type { CycleResult } from "./cycle.js";

/** Parent → worker: what to open and which lock to cycle. */
export interface WorkerSetup {
  type: "setup";
  spec: WorkerSpec;
  namespace: string;
  lockName: string;
  ttlMs: number;
  /** How long each acquisition is held before its release. */
  holdMs: number;
  /** Concurrent callers in the worker process, each cycling the lock. */
  callers: number;
}

/** Parent → worker: start cycling now, for this long. */
export interface WorkerGo {
  type: "go";
  durationMs: number;
}

/** Worker → parent. */
/** Parent → worker: SIGKILL yourself at the next moment one of your callers waits for the lock. */
export interface WorkerDie {
  type: "die";
}

export type WorkerReport = { type: "ready" } | ({ type: "done" } & CycleResult) | { type: "failed"; error: string };
