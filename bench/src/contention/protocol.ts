import type { WorkerSpec } from "../subjects/subject.js";

/** Parent → worker: what to open and which lock to cycle. */
export interface WorkerSetup {
  type: "setup";
  spec: WorkerSpec;
  namespace: string;
  lockName: string;
  ttlMs: number;
}

/** Parent → worker: start cycling now, for this long. */
export interface WorkerGo {
  type: "go";
  durationMs: number;
}

/** Worker → parent. */
export type WorkerReport =
  | { type: "ready" }
  | { type: "done"; acquisitions: number; waitsMs: number[]; elapsedMs: number }
  | { type: "failed"; error: string };
