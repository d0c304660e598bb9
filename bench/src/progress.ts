import cliProgress from "cli-progress";
import type { ResultRow } from "./result.js";
import { rowLabel } from "./result.js";
import type { ProgressSink } from "./runner.js";

function describe(row: ResultRow): string {
  const what = `${row.scenario} ${rowLabel(row)} ${row.subject}`;
  if (row.status === "skipped") return `${what}: skipped (${row.reason})`;
  return `${what}: ${Math.round(row.opsPerSec ?? 0).toLocaleString("en-US")} ops/s`;
}

/** A bar on a terminal, one line per row otherwise (CI logs); both on stderr, so stdout stays the table. */
export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  if (!stream.isTTY) {
    let done = 0;
    let total = 0;
    return {
      start: (rows) => {
        total = rows;
      },
      row: (row) => {
        done++;
        stream.write(`[${done}/${total}] ${describe(row)}\n`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream, format: "{bar} {value}/{total} rows | {last}", hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (rows) => bar.start(rows, 0, { last: "starting" }),
    row: (row) => bar.increment(1, { last: describe(row) }),
    stop: () => bar.stop(),
  };
}

/** Says nothing (tests, --quiet). */
export const silentProgress: ProgressSink = { start: () => {}, row: () => {}, stop: () => {} };
