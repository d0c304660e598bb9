import { type ResultRow, rowLabel } from "../result.js";
import { formatRatio, markdownTable } from "./format.js";

/** How a backend's throughput compares with a peer's on one row. */
export interface Ratio {
  scenario: string;
  row: string;
  backend: string;
  peer: string;
  /** Backend ops/s ÷ peer ops/s: above 1 the backend is faster. */
  ratio: number;
  /** True when the peer is the raw driver under this backend: the ratio is then the share of the ceiling kept. */
  ceiling: boolean;
}

/** True when `peer` is the raw driver of the backend named by `subject` (a URL such as rediss://… or sqlite://…). */
function isCeiling(subject: string, peer: ResultRow): boolean {
  const scheme = subject.split(":")[0] ?? "";
  return peer.ceilingOf !== undefined && scheme.replace(/^rediss/, "redis").startsWith(peer.ceilingOf);
}

/** Backend ÷ peer throughput for every row both measured. */
export function ratios(rows: readonly ResultRow[]): Ratio[] {
  const measured = rows.filter((row) => row.status === "ok" && row.opsPerSec !== undefined && row.opsPerSec > 0);
  const found: Ratio[] = [];
  for (const backend of measured.filter((row) => row.kind === "backend")) {
    const label = rowLabel(backend);
    for (const peer of measured) {
      if (peer.kind !== "peer" || peer.scenario !== backend.scenario || rowLabel(peer) !== label) continue;
      found.push({
        scenario: backend.scenario,
        row: label,
        backend: backend.subject,
        peer: peer.subject,
        ratio: (backend.opsPerSec as number) / (peer.opsPerSec as number),
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
      ...peers.map((peer) => formatRatio(group.find((ratio) => ratio.row === label && ratio.peer === peer)?.ratio)),
    ]);
    const header = peers.map((peer) => (ceilings.has(peer) ? `${peer} (ceiling)` : peer));
    const table = markdownTable(["row", ...header], body, new Set(peers.map((_, i) => i + 1)));
    blocks.push(`${scenario}: ${backend} ops/s ÷ peer ops/s (above 1 = ${backend} is faster)\n\n${table}`);
  }
  return blocks.join("\n\n");
}
