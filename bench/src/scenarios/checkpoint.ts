import { msSince, timedRun } from "../measure.js";
import { summarize } from "../stats.js";
import type { Subject } from "../subjects/subject.js";
import { repeatRuns } from "./repeat.js";
import { okRow, type PlannedRow, type RunSettings, type Scenario, withOpen } from "./scenario.js";
import { checkpointPayload, DAY_MS } from "./workload.js";

const LIST_LIMIT = 10;

const ROWS = ["put", "get_latest", `list_${LIST_LIMIT}`, "delete_thread"] as const;

function plan(subject: Subject, settings: RunSettings): PlannedRow[] {
  if (!subject.open || !subject.capabilities.includes("checkpointList")) return [];
  return ROWS.map((row) => ({ row, params: { threadSize: settings.threadSize } }));
}

async function run(subject: Subject, settings: RunSettings, done: (row: ReturnType<typeof okRow>) => void) {
  await withOpen(subject, async ({ checkpoint }) => {
    if (!checkpoint?.list || !checkpoint.deleteThread) throw new Error(`${subject.name} cannot list checkpoints`);
    const list = checkpoint.list.bind(checkpoint);
    const deleteThread = checkpoint.deleteThread.bind(checkpoint);
    const payload = checkpointPayload();
    const warmSize = Math.min(settings.threadSize, Math.max(1, settings.warmup));
    const measured = await repeatRuns("checkpoint thread", settings, async (n, tag, minMs) => {
      const threadId = `bench-checkpoint-${tag}`;
      const size = tag === "warm" ? warmSize : settings.threadSize;
      const put = await timedRun(size, 1, () => checkpoint.save(threadId, payload, 7 * DAY_MS));
      // put runs once (a longer run would grow the thread past threadSize); the reads run at least minMs.
      const getLatest = await timedRun(
        n,
        1,
        async () => {
          if ((await checkpoint.load(threadId)) === undefined) throw new Error("get latest found no checkpoint");
        },
        minMs,
      );
      const expected = Math.min(LIST_LIMIT, size);
      const listed = await timedRun(
        n,
        1,
        async () => {
          const found = await list(threadId, LIST_LIMIT);
          if (found.length !== expected) throw new Error(`list returned ${found.length} checkpoints, not ${expected}`);
        },
        minMs,
      );
      const start = process.hrtime.bigint();
      await deleteThread(threadId);
      const deleted = summarize([msSince(start)]);
      if ((await checkpoint.load(threadId)) !== undefined) throw new Error("deleteThread left a checkpoint");
      return { put, get_latest: getLatest, [`list_${LIST_LIMIT}`]: listed, delete_thread: deleted } as Record<
        (typeof ROWS)[number],
        ReturnType<typeof summarize>
      >;
    });
    for (const planned of plan(subject, settings)) {
      const row = measured[planned.row as (typeof ROWS)[number]];
      done(okRow("checkpoint", subject, planned, row.median, row.runs));
    }
  });
}

/** A thread of threadSize checkpoints: put them, get the latest, list the newest 10, delete the thread. */
export const checkpointScenario: Scenario = {
  name: "checkpoint",
  description: `a thread of --thread-size checkpoints (~2 KB each): put, get latest, list limit ${LIST_LIMIT}, deleteThread`,
  plan,
  run,
};
