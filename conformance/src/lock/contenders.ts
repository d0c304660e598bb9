import type { Storage } from "@stowage/core";
import { startWorker } from "../processes.js";
import type { ConformanceTarget } from "../target.js";
import { type LockEvent, type LockStep, LockStepRunner } from "./lock-commands.js";

/**
 * The pause after a waiter's first attempt was refused (its `refused` event), before the next
 * waiter starts. It only orders the arrivals: a backend may take the waiter's place just after the
 * refusal (SQLite's queue row is written as the wait begins), and no backend gives a cross-process
 * "is in line" signal to poll. Nothing is asserted about how fast anything is: a machine too loaded
 * to take a place within it reorders arrivals and fails an order test loudly, and never makes one
 * pass wrongly. Longer for a process (its events cross a pipe) than for a caller in the test's process.
 */
export const ARRIVAL_GAP_MS = { process: 200, inProcess: 30 } as const;

/**
 * One party competing for a lock in the arrival-order tests: a worker process on a multi-process
 * backend, or a caller of the test's own store (memory://). Either runs LockSteps and reports
 * LockEvents; the tests are written once against this.
 */
export interface Contender {
  readonly label: string;
  /** How long after its `refused` event its wait is surely in line: ARRIVAL_GAP_MS. */
  readonly arrivalGapMs: number;
  /** Starts a step; its events follow. */
  run(step: LockStep): void;
  /** The event of `tag` among `events` (the first printed), or an error naming what came instead. */
  next(tag: string, events: LockEvent["event"][], timeoutMs?: number): Promise<LockEvent>;
  /** SIGKILL, for a process; undefined for an in-process contender, which cannot die alone. */
  readonly kill?: () => Promise<void>;
  /** Ends the contender (releasing what it holds), whatever state the test left it in. */
  close(): Promise<void>;
}

/** Waits for the first event of `tag` among `events` in `log`, failing fast on an unexpected failure. */
function matching(tag: string, events: LockEvent["event"][]) {
  return (message: Record<string, unknown>) =>
    message.tag === tag && (events.includes(message.event as LockEvent["event"]) || message.event === "failed");
}

function expectEvent(event: LockEvent, label: string, events: LockEvent["event"][]): LockEvent {
  if (!events.includes(event.event)) {
    throw new Error(`${label}: ${event.tag} ${event.event} (${event.code}: ${event.message}), expected ${events}`);
  }
  return event;
}

/**
 * `count` contenders for the target, all started and ready: worker processes, or (a target
 * without multiProcess) callers of `local`, the test's store.
 */
export async function startContenders(
  target: ConformanceTarget,
  namespace: string,
  count: number,
  local: Storage,
): Promise<Contender[]> {
  const made = Array.from({ length: count }, (_, i) =>
    target.capabilities.multiProcess
      ? processContender(target, namespace, `process ${i}`)
      : localContender(local, `caller ${i}`),
  );
  const settled = await Promise.allSettled(made);
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) {
    // Leave no worker behind when one of them could not start.
    await Promise.allSettled(
      settled.map((result) => (result.status === "fulfilled" ? result.value.close() : undefined)),
    );
    throw failed.reason;
  }
  return settled.map((result) => (result as PromiseFulfilledResult<Contender>).value);
}

async function processContender(target: ConformanceTarget, namespace: string, label: string): Promise<Contender> {
  const worker = startWorker(target, namespace, "lock-steps", []);
  try {
    await worker.waitFor((m) => m.ready === true);
  } catch (error) {
    worker.child.kill("SIGKILL");
    throw error;
  }
  return {
    label,
    arrivalGapMs: ARRIVAL_GAP_MS.process,
    run: (step) => worker.send(JSON.stringify(step)),
    next: async (tag, events, timeoutMs = 30_000) =>
      expectEvent(await worker.waitFor<LockEvent>(matching(tag, events), timeoutMs), label, events),
    kill: async () => {
      worker.child.kill("SIGKILL");
      await worker.exited;
    },
    close: async () => {
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
      worker.child.stdin?.end();
      const ended = await Promise.race([worker.exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!ended) worker.child.kill("SIGKILL");
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function localContender(storage: Storage, label: string): Promise<Contender> {
  const log: LockEvent[] = [];
  const listeners = new Set<() => void>();
  const say = (event: LockEvent) => {
    log.push(event);
    for (const listener of listeners) listener();
  };
  // Callers of one store are in line (core's in-process queue) once acquire is called.
  const runner = new LockStepRunner(storage, say, { watchAttempts: false });
  const next = (tag: string, events: LockEvent["event"][], timeoutMs = 30_000) =>
    new Promise<LockEvent>((resolve, reject) => {
      const match = matching(tag, events);
      const check = () => {
        const found = log.find((event) => match(event as unknown as Record<string, unknown>));
        if (!found) return;
        done();
        try {
          resolve(expectEvent(found, label, events));
        } catch (error) {
          reject(error);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`${label}: no ${events} of ${tag} within ${timeoutMs} ms (last ${JSON.stringify(log.slice(-3))})`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  return {
    label,
    arrivalGapMs: ARRIVAL_GAP_MS.inProcess,
    run: (step) => runner.run(step),
    next,
    close: () => runner.releaseAll(),
  };
}
