import { type ResultRow, rowLabel } from "../result.js";
import { formatMb, formatMs, formatRate, markdownTable } from "./format.js";

function note(row: ResultRow): string {
  if (row.status === "skipped") return `skipped: ${row.reason ?? "no reason given"}`;
  if (!row.extra) return "";
  return Object.entries(row.extra)
    .map(([name, value]) => `${name}=${Number.isInteger(value) ? value : formatMs(value)}`)
    .join(" ");
}

/** Every row as a Markdown table: scenario, operation, subject, n, ops/s, p50/p99 latency, RSS and notes. */
export function resultTable(rows: readonly ResultRow[]): string {
  const header = ["scenario", "row", "subject", "n", "ops/s", "p50 ms", "p99 ms", "RSS MB", "note"];
  const body = rows.map((row) => [
    row.scenario,
    rowLabel(row),
    row.subject,
    row.n === undefined ? "-" : String(row.n),
    formatRate(row.opsPerSec),
    formatMs(row.p50Ms),
    formatMs(row.p99Ms),
    formatMb(row.rssBytes),
    note(row),
  ]);
  return markdownTable(header, body, new Set([3, 4, 5, 6, 7]));
}
