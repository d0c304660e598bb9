import { fileURLToPath } from "node:url";
import { parseMultiHostUrl } from "@stowage/core";
import type { ConformanceTarget } from "./target.js";
import { type JsonLinesChild, spawnJsonLines } from "./testing/spawn-json-lines.js";

const WORKER = fileURLToPath(new URL("./workers/worker.js", import.meta.url));

/** A worker process and the JSON lines it has printed. */
export type Worker = JsonLinesChild;

/** The target's URL with the test's namespace, as workers open it. */
export function workerUrl(target: ConformanceTarget, namespace: string): string {
  if (!target.url) throw new Error(`${target.name}: multi-process tests need target.url`);
  // Cluster and redlock URLs list several hosts, which WHATWG URL alone rejects.
  const url = parseMultiHostUrl(target.url);
  url.searchParams.set("namespace", namespace);
  return url.href;
}

/** Starts a worker in `mode` on the target's URL and namespace. */
export function startWorker(target: ConformanceTarget, namespace: string, mode: string, args: string[]): Worker {
  return spawnJsonLines(WORKER, [mode, ...args], {
    env: {
      ...process.env,
      STOWAGE_CONFORMANCE_URL: workerUrl(target, namespace),
      STOWAGE_CONFORMANCE_IMPORTS: JSON.stringify(target.workerImports ?? []),
    },
    label: `worker ${mode}`,
  });
}

/** Kills every worker still running (after a failed test). */
export function killAll(workers: Worker[]): void {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
}
