import { join } from "node:path";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { type Checkpoint, type CheckpointMetadata, emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { createStowageSaver } from "@stowage/langgraph";
import Database from "better-sqlite3";
import { scratchDir } from "../peers/temp-dir.js";
import { median } from "../stats.js";
import type { Probe } from "./probe.js";
import { rotated } from "./timing.js";

const STEPS = 10;
const CONTEXT = "retrieved passage ".repeat(284); // ~5 KB that step 0 stores and no step changes

interface Step {
  checkpoint: Checkpoint;
  metadata: CheckpointMetadata;
  newVersions: Record<string, number>;
}

/** One agent thread: step 0 stores the context, every step appends a ~200-byte message and bumps step and node. */
function threadSteps(thread: number): Step[] {
  const values = { context: CONTEXT, messages: [] as unknown[], step: 0, node: "start" };
  const versions: Record<string, number> = { context: 1, messages: 1, step: 1, node: 1 };
  return Array.from({ length: STEPS }, (_, step) => {
    const changed = step === 0 ? ["context", "messages", "step", "node"] : ["messages", "step", "node"];
    if (step > 0) for (const channel of changed) versions[channel] = (versions[channel] ?? 0) + 1;
    values.messages = [
      ...values.messages,
      { role: step % 2 ? "ai" : "user", content: `t${thread} s${step} ${"m".repeat(180)}` },
    ];
    values.step = step;
    values.node = `node-${step % 3}`;
    return {
      checkpoint: {
        ...emptyCheckpoint(),
        channel_values: structuredClone(values),
        channel_versions: { ...versions },
        versions_seen: { agent: { messages: versions.messages as number } },
      },
      metadata: { source: "loop", step, parents: {} },
      newVersions: Object.fromEntries(changed.map((channel) => [channel, versions[channel] as number])),
    };
  });
}

interface Round {
  saveOps: number;
  saveCpu: number;
  frames: number;
  loadOps: number;
  loadCpu: number;
}

const cpuUs = (used: NodeJS.CpuUsage) => used.user + used.system;

/** Saves `threads` new threads, then loads each latest checkpoint STEPS times; WAL frames from a side connection. */
async function round(
  saver: BaseCheckpointSaver,
  side: Database.Database,
  workload: Step[][],
  run: number,
): Promise<Round> {
  side.pragma("wal_checkpoint(TRUNCATE)"); // the frames the WAL holds afterwards are this round's writes
  const latest: RunnableConfig[] = [];
  let cpu = process.cpuUsage();
  const t0 = performance.now();
  for (const [t, steps] of workload.entries()) {
    let config: RunnableConfig = { configurable: { thread_id: `run-${run}-thread-${t}`, checkpoint_ns: "" } };
    for (const { checkpoint, metadata, newVersions } of steps) {
      config = await saver.put(config, { ...checkpoint, id: uuid6(-1) }, metadata, newVersions);
    }
    latest.push(config);
  }
  const t1 = performance.now();
  const saveCpu = cpuUs(process.cpuUsage(cpu));
  const [wal] = side.pragma("wal_checkpoint(PASSIVE)") as { log: number }[];
  cpu = process.cpuUsage();
  const t2 = performance.now();
  for (let i = 0; i < STEPS; i++) for (const config of latest) await saver.getTuple(config);
  const t3 = performance.now();
  const saves = workload.length * STEPS;
  return {
    saveOps: (saves / (t1 - t0)) * 1000,
    saveCpu: saveCpu / saves,
    frames: (wal?.log ?? Number.NaN) / saves,
    loadOps: (saves / (t3 - t2)) * 1000,
    loadCpu: cpuUs(process.cpuUsage(cpu)) / saves,
  };
}

const range = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

/**
 * What a LangGraph save and load cost on SQLite, StowageSaver beside SqliteSaver (both
 * synchronous=NORMAL): wall ops/s, CPU µs per op and WAL frames (pages written) per save, with
 * paired per-round ratios. --n is the threads of a round (10 steps each); rounds stay under the
 * 1000-frame autocheckpoint, so no checkpoint runs inside one.
 */
export const langgraphSqlite: Probe = {
  name: "langgraph-sqlite",
  summary: "LangGraph save/load on SQLite: StowageSaver ÷ SqliteSaver, CPU and WAL frames per save",
  defaults: { n: 8, rounds: 31 },
  async run({ n, rounds }, print) {
    const scratch = await scratchDir("langgraph-sqlite");
    const workload = Array.from({ length: n }, (_, t) => threadSteps(t));
    const peerPath = join(scratch.path, "peer.db");
    const oursPath = join(scratch.path, "stowage.db");
    const peer = SqliteSaver.fromConnString(peerPath);
    (peer as unknown as { setup(): void }).setup(); // protected; creates the tables and turns WAL on before the first round
    const ours = await createStowageSaver(`sqlite://${oursPath}`, { namespace: "bench" });
    const subjects = [
      { name: "SqliteSaver", saver: peer as BaseCheckpointSaver, side: new Database(peerPath) },
      { name: "StowageSaver", saver: ours as BaseCheckpointSaver, side: new Database(oursPath) },
    ];
    const results = new Map<string, Round[]>(subjects.map(({ name }) => [name, []]));
    let run = 0;
    try {
      for (let r = -2; r < rounds; r++) {
        for (const { name, saver, side } of rotated(subjects, r)) {
          const timing = await round(saver, side, workload, run++);
          if (r >= 0) results.get(name)?.push(timing); // two warm-up rounds
        }
      }
    } finally {
      for (const { side } of subjects) side.close();
      peer.db.close();
      await ours.end();
      await scratch.remove();
    }
    const peerRuns = results.get("SqliteSaver") ?? [];
    for (const [name, runs] of results) {
      const parts = [name.padEnd(14)];
      for (const [op, ops, cpu] of [
        ["save", "saveOps", "saveCpu"],
        ["load", "loadOps", "loadCpu"],
      ] as const) {
        const wall = runs.map((run, i) => run[ops] / (peerRuns[i]?.[ops] ?? Number.NaN));
        const cpuRatio = runs.map((run, i) => (peerRuns[i]?.[cpu] ?? Number.NaN) / run[cpu]);
        const vsPeer =
          name === "SqliteSaver"
            ? ""
            : ` (÷ peer: wall ${median(wall).toFixed(2)} [${range(wall)}], CPU ${median(cpuRatio).toFixed(2)} [${range(cpuRatio)}])`;
        parts.push(
          `${op} ${median(runs.map((run) => run[ops])).toFixed(0)}/s, ${median(runs.map((run) => run[cpu])).toFixed(0)} µs CPU${vsPeer}`,
        );
      }
      parts.push(`WAL frames/save ${median(runs.map((run) => run.frames)).toFixed(2)}`);
      print(parts.join("  "));
    }
    print(`${rounds} rounds × ${n * STEPS} saves and ${n * STEPS} loads per subject, node ${process.version}`);
  },
};
