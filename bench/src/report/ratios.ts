import { type ResultRow, rowLabel } from "../result.js";
import { median } from "../stats.js";
import { formatRatio, markdownTable } from "./format.js";

/** How a backend's throughput compares with a peer's on one row. */
export interface Ratio {
  scenario: string;
  row: string;
  backend: string;
  peer: string;
  /**
   * Backend ÷ peer throughput, above 1 the backend is faster: the median of the per-repeat
   * ratios (backend run i ÷ peer run i, taken in the same round) when both have their runs,
   * else the ratio of the two medians.
   */
  ratio: number;
  /** True when `ratio` is the median of paired per-repeat ratios; min and max are then theirs. */
  paired: boolean;
  min?: number;
  max?: number;
  /** True when the peer is the raw driver under this backend: the ratio is then the share of the ceiling kept. */
  ceiling: boolean;
}

/** True when `peer` is the raw driver of the backend named by `subject` (a URL such as rediss://… or sqlite://…). */
function isCeiling(subject: string, peer: ResultRow): boolean {
  const scheme = subject.split(":")[0] ?? "";
  return peer.ceilingOf !== undefined && scheme.replace(/^rediss/, "redis").startsWith(peer.ceilingOf);
}

/** backend run i ÷ peer run i for every repeat, or undefined unless both have the same number of runs. */
export function pairedRatios(backend: ResultRow, peer: ResultRow): number[] | undefined {
  const ours = backend.repeatOpsPerSec;
  const theirs = peer.repeatOpsPerSec;
  if (!ours || !theirs || ours.length === 0 || ours.length !== theirs.length) return undefined;
  const pairs = ours.map((value, i) => value / (theirs[i] as number));
  return pairs.every(Number.isFinite) ? pairs : undefined;
}

/** "1.23x (0.98–1.40)" for a paired ratio, "1.23x" otherwise. */
export function formatPairedRatio(ratio: Ratio | undefined): string {
  if (!ratio) return "-";
  const middle = formatRatio(ratio.ratio);
  if (!ratio.paired || ratio.min === undefined || ratio.max === undefined) return middle;
  return `${middle} (${formatRatio(ratio.min).slice(0, -1)}–${formatRatio(ratio.max).slice(0, -1)})`;
}

/** Backend ÷ peer throughput for every row both measured. */
export function ratios(rows: readonly ResultRow[]): Ratio[] {
  const measured = rows.filter((row) => row.status === "ok" && row.opsPerSec !== undefined && row.opsPerSec > 0);
  const found: Ratio[] = [];
  for (const backend of measured.filter((row) => row.kind === "backend")) {
    const label = rowLabel(backend);
    for (const peer of measured) {
      if (peer.kind !== "peer" || peer.scenario !== backend.scenario || rowLabel(peer) !== label) continue;
      const pairs = pairedRatios(backend, peer);
      found.push({
        scenario: backend.scenario,
        row: label,
        backend: backend.subject,
        peer: peer.subject,
        ratio: pairs ? median(pairs) : (backend.opsPerSec as number) / (peer.opsPerSec as number),
        paired: pairs !== undefined,
        ...(pairs ? { min: Math.min(...pairs), max: Math.max(...pairs) } : {}),
        ceiling: isCeiling(backend.subject, peer),
      });
    }
  }
  return found;
}

/** One Markdown table per scenario and backend: a line per row, a column per peer. */
export function ratioTables(found: readonly Ratio[]): string {
  const blocks: string[] = [];
  const groups = new Map<string, Ratio[]>();
  for (const ratio of found) {
    const key = `${ratio.scenario}\u0000${ratio.backend}`;
    groups.set(key, [...(groups.get(key) ?? []), ratio]);
  }
  for (const [key, group] of groups) {
    const [scenario, backend] = key.split("\u0000") as [string, string];
    // The backend's own raw driver comes first: the share of the ceiling it keeps.
    const ceilings = new Set(group.filter((ratio) => ratio.ceiling).map((ratio) => ratio.peer));
    const peers = [...new Set(group.map((ratio) => ratio.peer))].sort(
      (a, b) => Number(ceilings.has(b)) - Number(ceilings.has(a)),
    );
    const labels = [...new Set(group.map((ratio) => ratio.row))];
    const body = labels.map((label) => [
      label,
      ...peers.map((peer) => formatPairedRatio(group.find((ratio) => ratio.row === label && ratio.peer === peer))),
    ]);
    const header = peers.map((peer) => (ceilings.has(peer) ? `${peer} (ceiling)` : peer));
    const table = markdownTable(["row", ...header], body, new Set(peers.map((_, i) => i + 1)));
    blocks.push(
      `${scenario}: ${backend} ops/s ÷ peer ops/s (above 1 = ${backend} is faster; median of the paired per-repeat ratios, min–max in brackets)\n\n${table}`,
    );
  }
  return blocks.join("\n\n");
}
