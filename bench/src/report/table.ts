import { type ResultRow, rowLabel } from "../result.js";
import { formatMb, formatMs, formatRate, markdownTable } from "./format.js";

function note(row: ResultRow): string {
  const server = row.server ? `server=${row.server}` : "";
  if (row.status === "skipped")
    return [`skipped: ${row.reason ?? "no reason given"}`, server].filter(Boolean).join(" ");
  const extra = Object.entries(row.extra ?? {}).map(
    ([name, value]) => `${name}=${Number.isInteger(value) ? value : formatMs(value)}`,
  );
  return [...extra, server].filter(Boolean).join(" ");
}

/** CPU µs per op: "n/a" for a subject measured in another process, "-" when not measured. */
function formatCpu(row: ResultRow): string {
  if (row.cpuUsPerOp === null) return "n/a";
  if (row.cpuUsPerOp === undefined || !Number.isFinite(row.cpuUsPerOp)) return "-";
  return row.cpuUsPerOp >= 100 ? Math.round(row.cpuUsPerOp).toString() : row.cpuUsPerOp.toFixed(1);
}

/** Every row as a Markdown table: scenario, operation, subject, n, ops/s, p50/p99 latency, CPU µs/op, RSS and notes. */
export function resultTable(rows: readonly ResultRow[]): string {
  const header = ["scenario", "row", "subject", "n", "ops/s", "p50 ms", "p99 ms", "CPU µs/op", "RSS MB", "note"];
  const body = rows.map((row) => [
    row.scenario,
    rowLabel(row),
    row.subject,
    row.n === undefined ? "-" : String(row.n),
    formatRate(row.opsPerSec),
    formatMs(row.p50Ms),
    formatMs(row.p99Ms),
    formatCpu(row),
    formatMb(row.rssBytes),
    note(row),
  ]);
  return markdownTable(header, body, new Set([3, 4, 5, 6, 7, 8]));
}

/** One Markdown table per scenario: a line per row, a column per subject, ops/s in the cells ("skipped" where skipped). */
export function pivotTables(rows: readonly ResultRow[]): string {
  const blocks: string[] = [];
  for (const scenario of new Set(rows.map((row) => row.scenario))) {
    const mine = rows.filter((row) => row.scenario === scenario);
    const subjects = [...new Set(mine.map((row) => row.subject))];
    const labels = [...new Set(mine.map(rowLabel))];
    const body = labels.map((label) => [
      label,
      ...subjects.map((subject) => {
        const found = mine.find((row) => row.subject === subject && rowLabel(row) === label);
        if (!found) return "-";
        return found.status === "ok" ? formatRate(found.opsPerSec) : "skipped";
      }),
    ]);
    const table = markdownTable(["row", ...subjects], body, new Set(subjects.map((_, i) => i + 1)));
    blocks.push(`${scenario}: ops/s (median of repeats)\n\n${table}`);
  }
  return blocks.join("\n\n");
}
