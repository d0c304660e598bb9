/** One line of a report: a scenario's operation on one subject. */
export interface ResultRow {
  scenario: string;
  /** The operation, e.g. "cache_set". */
  row: string;
  subject: string;
  kind: "backend" | "peer";
  /** For a raw-driver peer: the backend scheme whose ceiling it is. */
  ceilingOf?: string;
  /** Row parameters that are part of its identity (concurrency, value size, workers). */
  params: Record<string, number>;
  status: "ok" | "skipped";
  /** Why the row was skipped. */
  reason?: string;
  n?: number;
  /** Runs measured (the median one is reported). */
  runs?: number;
  /** Ops/s of every measured run in repeat order; run i of each subject was taken in the same round. */
  repeatOpsPerSec?: number[];
  /** Median over runs of process CPU µs per op; null when the subject runs out of process (its CPU is not ours). */
  cpuUsPerOp?: number | null;
  /** The server the subject talked to (Redis peers). */
  server?: string;
  opsPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Resident set size of the measuring process after the row. */
  rssBytes?: number;
  /** Scenario-specific figures (e.g. min/max acquisitions per worker). */
  extra?: Record<string, number>;
}

/** Everything one invocation measured, as written to JSON. */
export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: MachineInfo;
  settings: Record<string, unknown>;
  rows: ResultRow[];
}

export interface MachineInfo {
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
}

/** A short label for tables and charts: the row name plus its parameters. */
export function rowLabel(row: Pick<ResultRow, "row" | "params">): string {
  const parts = [row.row];
  for (const [name, value] of Object.entries(row.params)) {
    parts.push(name === "valueBytes" ? formatBytes(value) : `${shortParam(name)}=${value}`);
  }
  return parts.join(" ");
}

function shortParam(name: string): string {
  return name === "concurrency" ? "c" : name === "workers" ? "w" : name;
}

/** 100 → "100B", 10240 → "10KB", 1048576 → "1MB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}KB`;
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)}MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)}KB`;
  return `${bytes}B`;
}
