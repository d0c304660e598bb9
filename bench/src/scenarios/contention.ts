import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type CycleResult, cycleLock } from "../contention/cycle.js";
import { handOffs } from "../contention/hand-offs.js";
import type { WorkerReport, WorkerSetup } from "../contention/protocol.js";
import { SHARED_RUN_ENV } from "../peers/redis-server.js";
import { scratchDir } from "../peers/temp-dir.js";
import { medianRun, summarize } from "../stats.js";
import { freshNamespace } from "../subjects/stowage.js";
import type { Subject } from "../subjects/subject.js";
import { okRow, type PlannedRow, type RunSettings, type Scenario, withOpen } from "./scenario.js";

const LEASE_TTL_MS = 10_000;
const READY_TIMEOUT_MS = 30_000;

function plan(subject: Subject, settings: RunSettings): PlannedRow[] {
  const inProcess = subject.kind === "backend" && !subject.worker;
  const runnable = subject.contention || (subject.open && (subject.worker || inProcess));
  if (!subject.capabilities.includes("lock") || !runnable) return [];
  const params: Record<string, number> = { workers: settings.workers, holdMs: settings.holdMs };
  if (settings.callers > 1) params.callers = settings.callers;
  if (settings.killOne && subject.worker) params.killed = 1;
  return [{ row: "lock_cycle", params }];
}

/** The compiled worker script; under Vitest (running src/*.ts) the one in dist/. */
export function workerScript(): string {
  const compiled = fileURLToPath(new URL("../contention-worker.js", import.meta.url));
  const candidates = [compiled, compiled.replace(/([\\/])src([\\/])(?!.*[\\/]src[\\/])/, "$1dist$2")];
  const found = candidates.find((path) => existsSync(path));
  if (!found)
    throw new Error(`contention workers need the compiled bench: run npx tsc -b bench (looked for ${candidates[0]})`);
  return found;
}

/** Why workerScript() would throw (undefined when the compiled worker is there), for a test's skip reason. */
export function workerScriptMissing(): string | undefined {
  try {
    workerScript();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function nextReport(child: ChildProcess, timeoutMs: number): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`a worker said nothing for ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown) => finish(undefined, message as WorkerReport);
    const onExit = (code: number | null) => finish(new Error(`a worker exited early (code ${code})`));
    function finish(error?: Error, report?: WorkerReport) {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error) reject(error);
      else if (report?.type === "failed") reject(new Error(`a worker failed: ${report.error}`));
      else resolve(report as WorkerReport);
    }
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** Runs the contenders as child processes that open the subject themselves. */
async function inProcesses(subject: Subject, settings: RunSettings): Promise<CycleResult[]> {
  const script = workerScript();
  const lockDir = await scratchDir("contention");
  const children: ChildProcess[] = [];
  const runId = `contention-${process.pid}-${Date.now().toString(36)}`;
  try {
    const setup: WorkerSetup = {
      type: "setup",
      spec: subject.worker as WorkerSetup["spec"],
      namespace: freshNamespace("contention"),
      lockName: "contention:one-lock",
      ttlMs: LEASE_TTL_MS,
      holdMs: settings.holdMs,
      callers: settings.callers,
    };
    for (let i = 0; i < settings.workers; i++) {
      children.push(
        fork(script, [], {
          env: { ...process.env, STOWAGE_BENCH_LOCK_DIR: lockDir.path, [SHARED_RUN_ENV]: runId },
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        }),
      );
    }
    const ready = children.map((child) => nextReport(child, READY_TIMEOUT_MS));
    for (const child of children) child.send(setup);
    await Promise.all(ready);
    const victim = settings.killOne ? children[0] : undefined;
    const done = children.map((child) => {
      const report = nextReport(child, settings.durationMs + LEASE_TTL_MS + READY_TIMEOUT_MS);
      // The killed worker reports nothing; the survivors' results are the run.
      return child === victim ? report.catch(() => undefined) : report;
    });
    for (const child of children) child.send({ type: "go", durationMs: settings.durationMs });
    const kill = victim && setTimeout(() => victim.send({ type: "die" }), Math.round(settings.durationMs / 3));
    const reports = await Promise.all(done);
    if (kill) clearTimeout(kill);
    return reports.filter((report) => report !== undefined).map((report) => report as CycleResult);
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await lockDir.remove();
  }
}

async function inThisProcess(subject: Subject, settings: RunSettings): Promise<CycleResult[]> {
  let results: CycleResult[] = [];
  await withOpen(subject, async ({ lock }) => {
    if (!lock) throw new Error(`${subject.name} has no lock`);
    results = await Promise.all(
      Array.from({ length: settings.workers }, () =>
        cycleLock(lock, "contention:one-lock", LEASE_TTL_MS, settings.durationMs, settings.holdMs, settings.callers),
      ),
    );
  });
  return results;
}

async function run(subject: Subject, settings: RunSettings, done: (row: ReturnType<typeof okRow>) => void) {
  const planned = plan(subject, settings)[0];
  if (!planned) return;
  const measure = () =>
    subject.contention
      ? subject.contention.run({ workers: settings.workers, durationMs: settings.durationMs, holdMs: settings.holdMs })
      : subject.worker
        ? inProcesses(subject, settings)
        : inThisProcess(subject, settings);
  const runs: { results: CycleResult[]; opsPerSec: number }[] = [];
  for (let r = 0; r < settings.repeats; r++) {
    const results = await measure();
    const total = results.reduce((sum, result) => sum + result.acquisitions, 0);
    const elapsedMs = Math.max(...results.map((result) => result.elapsedMs));
    runs.push({ results, opsPerSec: (total * 1000) / elapsedMs });
  }
  const median = medianRun(runs);
  const waits = summarize(median.results.flatMap((result) => result.waitsMs));
  const passed = handOffs(median.results);
  if (passed.overlaps > 0) throw new Error(`${passed.overlaps} holds overlapped another: the lock did not exclude`);
  done(
    okRow("contention", subject, planned, { ...waits, opsPerSec: median.opsPerSec }, runs.length, {
      minPerWorker: passed.minPerProcess,
      maxPerWorker: passed.maxPerProcess,
      processes: subject.worker || subject.contention ? median.results.length : 1,
      acquisitionsPerSec: passed.acquisitionsPerSec,
      utilisation: passed.utilisation,
      freeGapP50Ms: passed.freeGapP50Ms,
      freeGapP99Ms: passed.freeGapP99Ms,
      ...(settings.killOne && subject.worker ? { longestGapMs: passed.longestGapMs } : {}),
    }),
  );
}

/** W contenders cycling one lock name: acquisitions/s, wait percentiles, fairness. */
export const contentionScenario: Scenario = {
  name: "contention",
  description:
    "--workers contenders (--callers each; child processes where the backend is shared across processes, async loops for memory://) acquire one lock name, hold it --hold-ms, release, for --duration ms; p50/p99 are waits; extra: acquisitions/s, utilisation (held ÷ wall), free gap p50/p99 between a release and the next grant (shared clock), min/max acquisitions per contender",
  plan,
  run,
};
