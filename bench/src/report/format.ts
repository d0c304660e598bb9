/** 12345.6 → "12,346"; tiny rates keep two decimals. */
export function formatRate(opsPerSec: number | undefined): string {
  if (opsPerSec === undefined || !Number.isFinite(opsPerSec)) return "-";
  if (opsPerSec < 10) return opsPerSec.toFixed(2);
  return Math.round(opsPerSec).toLocaleString("en-US");
}

/** Milliseconds with three significant digits: 0.0123, 1.23, 123. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms >= 100) return Math.round(ms).toString();
  return Number(ms.toPrecision(3)).toString();
}

/** Bytes as whole megabytes (MiB). */
export function formatMb(bytes: number | undefined): string {
  return bytes === undefined ? "-" : Math.round(bytes / (1024 * 1024)).toString();
}

/** A ratio such as "2.35x"; "-" when either side is missing. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return "-";
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`;
}

/** A Markdown table with columns padded to line up in a terminal too. */
export function markdownTable(
  header: readonly string[],
  body: readonly (readonly string[])[],
  rightAlign: ReadonlySet<number>,
): string {
  const escapeCell = (cell: string) => cell.replaceAll("|", "\\|").replaceAll("\n", " ");
  const rows = [header, ...body].map((row) => row.map(escapeCell));
  const widths = header.map((_, column) => Math.max(3, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (row: readonly string[]) =>
    `| ${row
      .map((cell, column) =>
        rightAlign.has(column) ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number),
      )
      .join(" | ")} |`;
  const rule = `|${widths.map((width, column) => (rightAlign.has(column) ? `${"-".repeat(width + 1)}:` : "-".repeat(width + 2))).join("|")}|`;
  return [line(rows[0] as string[]), rule, ...rows.slice(1).map(line)].join("\n");
}
