// What a save and a load cost on SQLite, StowageSaver beside @langchain/langgraph-checkpoint-sqlite's
// SqliteSaver, in one process with interleaved rounds: wall ops/s, CPU µs per op and WAL frames
// (pages written) per save, with paired per-round ratios.
//
//   npx tsc -b packages/langgraph && node bench/scripts/langgraph-sqlite-cost.mjs [--rounds 31] [--threads 8]
//
// Workload as saver-bench.mjs: per thread 10 steps; step 0 stores a 5 KB context that never changes,
// every step appends a ~200-byte message and bumps `step` and `node`. Each round saves --threads
// new threads, then loads each thread's latest checkpoint 10 times. Before each round's saves the WAL is
// checkpointed and emptied from a side connection, and the frames it holds afterwards are that round's
// writes (a round stays under the 1000-frame autocheckpoint, so no checkpoint runs inside it; both
// savers run with synchronous=NORMAL, so fsyncs happen only at checkpoints, in proportion to frames).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { createStowageSaver } from "@stowage/langgraph";
import Database from "better-sqlite3";

const { values: args } = parseArgs({
  options: { rounds: { type: "string", default: "31" }, threads: { type: "string", default: "8" } },
});
const rounds = Number(args.rounds);
const threads = Number(args.threads);
const steps = 10;
const dir = mkdtempSync(join(tmpdir(), "stowage-sqlite-cost-"));

const context = "retrieved passage ".repeat(284);
const workload = Array.from({ length: threads }, (_, thread) => {
  const out = [];
  const values = { context, messages: [], step: 0, node: "start" };
  const versions = { context: 1, messages: 1, step: 1, node: 1 };
  for (let step = 0; step < steps; step++) {
    const changed = step === 0 ? ["context", "messages", "step", "node"] : ["messages", "step", "node"];
    if (step > 0) for (const channel of changed) versions[channel]++;
    values.messages = [
      ...values.messages,
      { role: step % 2 ? "ai" : "user", content: `t${thread} s${step} ${"m".repeat(180)}` },
    ];
    values.step = step;
    values.node = `node-${step % 3}`;
    out.push({
      checkpoint: {
        ...emptyCheckpoint(),
        channel_values: structuredClone(values),
        channel_versions: { ...versions },
        versions_seen: { agent: { messages: versions.messages } },
      },
      metadata: { source: "loop", step, parents: {} },
      newVersions: Object.fromEntries(changed.map((channel) => [channel, versions[channel]])),
    });
  }
  return out;
});

const peerPath = join(dir, "peer.db");
const peer = SqliteSaver.fromConnString(peerPath);
peer.setup();
const oursPath = join(dir, "stowage.db");
const ours = await createStowageSaver(`sqlite://${oursPath}`, { namespace: "bench" });
const subjects = [
  { name: "SqliteSaver", saver: peer, side: new Database(peerPath) },
  { name: "StowageSaver", saver: ours, side: new Database(oursPath) },
];

let sequence = 0;
const results = new Map(subjects.map(({ name }) => [name, []]));
for (let round = -2; round < rounds; round++) {
  const order = round % 2 ? subjects : [...subjects].reverse();
  for (const { name, saver, side } of order) {
    side.pragma("wal_checkpoint(TRUNCATE)");
    const run = sequence++;
    const latest = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let t = 0; t < threads; t++) {
      let config = { configurable: { thread_id: `run-${run}-thread-${t}`, checkpoint_ns: "" } };
      for (const { checkpoint, metadata, newVersions } of workload[t]) {
        config = await saver.put(config, { ...checkpoint, id: uuid6(-1) }, metadata, newVersions);
      }
      latest.push(config);
    }
    const t1 = performance.now();
    const cpu1 = process.cpuUsage(cpu0);
    const [wal] = side.pragma("wal_checkpoint(PASSIVE)");
    const cpu2 = process.cpuUsage();
    for (let i = 0; i < steps; i++) for (const config of latest) await saver.getTuple(config);
    const t2 = performance.now();
    const cpu3 = process.cpuUsage(cpu2);
    const saves = threads * steps;
    if (round >= 0) {
      results.get(name).push({
        saveOps: (saves / (t1 - t0)) * 1000,
        saveCpu: (cpu1.user + cpu1.system) / saves,
        frames: wal.log / saves,
        loadOps: (saves / (t2 - t1)) * 1000,
        loadCpu: (cpu3.user + cpu3.system) / saves,
      });
    }
  }
}

const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1];
const range = (values) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
const peerRuns = results.get("SqliteSaver");
for (const { name } of subjects) {
  const runs = results.get(name);
  const line = [`${name.padEnd(34)}`];
  for (const [op, ops, cpu] of [
    ["save", "saveOps", "saveCpu"],
    ["load", "loadOps", "loadCpu"],
  ]) {
    const wall = runs.map((run, i) => run[ops] / peerRuns[i][ops]);
    const cpuRatio = runs.map((run, i) => peerRuns[i][cpu] / run[cpu]);
    const vsPeer = ` (÷ peer: wall ${median(wall).toFixed(2)} [${range(wall)}], CPU ${median(cpuRatio).toFixed(2)} [${range(cpuRatio)}])`;
    line.push(
      `${op} ${median(runs.map((run) => run[ops])).toFixed(0)}/s, ${median(runs.map((run) => run[cpu])).toFixed(0)} µs CPU${name === "SqliteSaver" ? "" : vsPeer}`,
    );
  }
  line.push(`WAL frames/save ${median(runs.map((run) => run.frames)).toFixed(2)}`);
  console.log(line.join("  "));
}
console.log(
  `${rounds} rounds × ${threads * steps} saves and ${threads * steps} loads per subject, node ${process.version}`,
);
for (const { saver, side } of subjects) {
  side.close();
  if (saver instanceof SqliteSaver) saver.db.close();
  else await saver.end();
}
rmSync(dir, { recursive: true, force: true });
