import { Interrupt, isStowageError } from "@stowage/core";
import { parseBenchArgs, USAGE } from "./args.js";
import { machineInfo } from "./machine.js";
import { runProbe } from "./probes/probe-args.js";
import { silentProgress, stderrProgress } from "./progress.js";
import { ratios, ratioTables } from "./report/ratios.js";
import { pivotTables, resultTable } from "./report/table.js";
import { writeReport } from "./report/write.js";
import type { BenchReport } from "./result.js";
import { INTERRUPTED, runBench } from "./runner.js";
import { resolveSubjects } from "./subjects/resolve.js";

/** Runs the bench for command-line arguments; returns the process exit code (2 for bad arguments). */
export async function main(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let options: ReturnType<typeof parseBenchArgs>;
  try {
    if (argv.some((arg) => arg === "--probe" || arg.startsWith("--probe="))) {
      await runProbe(argv, out);
      return 0;
    }
    options = parseBenchArgs(argv);
  } catch (error) {
    if (isStowageError(error, "ERR_CONFIG")) {
      process.stderr.write(
        `bench: ${error.message}\n${error.message.includes("Usage:") ? "" : "Run with --help for the options.\n"}`,
      );
      return 2;
    }
    throw error;
  }
  if (options.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const { subjects, peerRedis, cleanup } = await resolveSubjects(options.backends, options.peers);
  const redisNamed = process.env.REDIS_URL || options.backends.some((b) => /^(hybrid\+)?rediss?(\+\w+)?:/.test(b));
  if (!redisNamed && (options.backends.includes("all") || subjects.some((s) => s.server))) {
    // A server nobody named is written to: say which, so it is never a surprise.
    process.stderr.write(
      `bench: Redis subjects use ${peerRedis.url} (database 0), which neither --backends nor REDIS_URL named; set REDIS_URL to choose another\n`,
    );
  }
  let report: BenchReport;
  const interrupt = new Interrupt();
  try {
    const rows = await runBench(
      options.scenarios,
      subjects,
      options.settings,
      options.progress ? stderrProgress() : silentProgress,
      interrupt,
    );
    report = {
      startedAt,
      finishedAt: new Date().toISOString(),
      command: `stowage bench ${argv.join(" ")}`.trim(),
      machine: machineInfo(),
      settings: {
        ...options.settings,
        scenarios: options.scenarios.map((s) => s.name),
        subjects: subjects.map((s) => s.name),
        ...(subjects.some((s) => s.server) ? { peerRedis } : {}),
      },
      rows,
    };
  } finally {
    interrupt.dispose();
    await cleanup();
  }
  const paths = await writeReport(report, options.out);
  const notRun = report.rows.filter((row) => row.status === "skipped" && row.reason === INTERRUPTED).length;
  const stopped = interrupt.requested
    ? `interrupted after ${report.rows.length - notRun} of ${report.rows.length} rows; re-run to measure the rest`
    : undefined;
  if (options.json) {
    const outcome = stopped ? { ok: false, code: "ERR_INTERRUPTED", message: stopped } : { ok: true };
    out.write(`${JSON.stringify({ ...outcome, ...report, files: paths }, null, 2)}\n`);
    return stopped ? 130 : 0;
  }
  const m = report.machine;
  out.write(
    `stowage bench · node ${m.node} · ${m.cpus} × ${m.cpuModel} · ${Math.round(m.memoryBytes / 2 ** 30)} GiB · n=${options.settings.n}, repeats=${options.settings.repeats} interleaved across subjects (median run), runs of at least ${options.settings.minMs} ms\n\n`,
  );
  out.write(`${resultTable(report.rows)}\n\n${pivotTables(report.rows)}\n`);
  const found = ratios(report.rows);
  if (found.length > 0) out.write(`\n${ratioTables(found)}\n`);
  out.write(`\nwrote ${paths.json}, ${paths.svg} and one chart per scenario (${paths.charts.join(", ")})\n`);
  if (stopped) {
    process.stderr.write(`bench: ${stopped}\n`);
    return 130;
  }
  return 0;
}
