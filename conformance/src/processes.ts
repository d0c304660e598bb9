import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseMultiHostUrl } from "@stowage/core";
import type { ConformanceTarget } from "./target.js";

const WORKER = fileURLToPath(new URL("./workers/worker.js", import.meta.url));

/** A worker process and the JSON lines it has printed. */
export interface Worker {
  child: ChildProcess;
  /** Resolves with the next line for which `match` is true (lines already printed count). */
  waitFor<T = Record<string, unknown>>(
    match: (message: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<T>;
  /** Every message printed so far. */
  messages: Record<string, unknown>[];
  send(line: string): void;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

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
  const child = spawn(process.execPath, [WORKER, mode, ...args], {
    env: {
      ...process.env,
      STOWAGE_CONFORMANCE_URL: workerUrl(target, namespace),
      STOWAGE_CONFORMANCE_IMPORTS: JSON.stringify(target.workerImports ?? []),
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const messages: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    try {
      messages.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      messages.push({ text: line });
    }
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    messages,
    exited,
    send: (line) => child.stdin?.write(`${line}\n`),
    waitFor<T>(match: (message: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found) {
            cleanup();
            resolve(found as T);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `worker ${mode} printed no matching line within ${timeoutMs} ms (got ${JSON.stringify(messages.slice(-3))})`,
            ),
          );
        }, timeoutMs);
        const onExit = (code: number | null) => {
          setTimeout(() => {
            if (!messages.find(match)) {
              cleanup();
              reject(new Error(`worker ${mode} exited with ${code} before printing a matching line`));
            }
          }, 50);
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.once("exit", onExit);
        check();
      });
    },
  };
}

/** Kills every worker still running (after a failed test). */
export function killAll(workers: Worker[]): void {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
}
