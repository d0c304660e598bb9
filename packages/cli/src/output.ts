import { Presets, SingleBar } from "cli-progress";

/** Where a command's results go: a human table on stdout, or one JSON document with --json. */
export interface Output {
  readonly json: boolean;
  /** A line for people (suppressed with --json). */
  line(text: string): void;
  /** The command's result: printed as JSON with --json, else by `human`. */
  result(value: unknown, human: () => void): void;
  /** A progress bar on stderr on a terminal; elsewhere one line per stage when it ends; nothing with --json. */
  progress(label: string, total: number): Progress;
}

export interface Progress {
  tick(by?: number): void;
  setTotal(total: number): void;
  stop(): void;
}

const silent: Progress = { tick() {}, setTotal() {}, stop() {} };

/** Off a terminal (CI logs, pipes): no bar redrawn hundreds of times, one line when the stage ends. */
function stageLine(label: string, initialTotal: number): Progress {
  let done = 0;
  let total = initialTotal;
  let stopped = false;
  return {
    tick: (by = 1) => {
      done += by;
    },
    setTotal: (t) => {
      total = t;
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      process.stderr.write(`${label}: ${done} of ${total}\n`);
    },
  };
}

/** Converts bigints (fencing tokens) so results can be JSON. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    line(text) {
      if (!json) process.stdout.write(`${text}\n`);
    },
    result(value, human) {
      if (json) process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
      else human();
    },
    progress(label, total) {
      if (json) return silent;
      if (!process.stderr.isTTY) return stageLine(label, total);
      const bar = new SingleBar(
        { format: `${label} [{bar}] {value}/{total} {duration_formatted}`, stream: process.stderr, hideCursor: true },
        Presets.shades_classic,
      );
      bar.start(total, 0);
      return { tick: (by = 1) => bar.increment(by), setTotal: (t) => bar.setTotal(t), stop: () => bar.stop() };
    },
  };
}

/** Left-aligned text table. */
export function table(rows: (string | number)[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => String(row[col] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, col) => String(cell).padEnd(widths[col] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
