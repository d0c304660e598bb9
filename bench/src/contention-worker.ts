import { cycleLock } from "./contention/cycle.js";
import { openSpec } from "./contention/open-spec.js";
import type { WorkerDie, WorkerGo, WorkerReport, WorkerSetup } from "./contention/protocol.js";

/** A contention worker process: opens the subject, says ready, cycles the lock on "go", reports, exits. */
function send(report: WorkerReport): Promise<void> {
  return new Promise((resolve) => process.send?.(report, undefined, {}, () => resolve()));
}

function nextMessage<T>(): Promise<T> {
  return new Promise((resolve) => process.once("message", (message) => resolve(message as T)));
}

/** After a "die" message: dies (SIGKILL, nothing cleaned up) as soon as one of its callers waits. */
let dying = false;
process.on("message", (message) => {
  if ((message as WorkerDie).type === "die") dying = true;
});
const onWaiting = () => {
  // On the next turn: the acquire has been sent and is waiting for the lock (or its turn).
  if (dying) setImmediate(() => process.kill(process.pid, "SIGKILL"));
};

try {
  const setup = await nextMessage<WorkerSetup>();
  const opened = await openSpec(setup.spec, setup.namespace);
  try {
    if (!opened.lock) throw new Error("the subject has no lock");
    const go = nextMessage<WorkerGo>();
    await send({ type: "ready" });
    const { durationMs } = await go;
    const result = await cycleLock(
      opened.lock,
      setup.lockName,
      setup.ttlMs,
      durationMs,
      setup.holdMs,
      setup.callers,
      onWaiting,
    );
    await send({ type: "done", ...result });
  } finally {
    await opened.close();
  }
} catch (error) {
  await send({ type: "failed", error: error instanceof Error ? error.message : String(error) });
}
process.disconnect?.();
