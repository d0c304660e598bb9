// Checkpoint save and load through StowageSaver beside @langchain/langgraph-checkpoint-sqlite's
// SqliteSaver, on one workload, in one process run; then list on a thread of 10,000 checkpoints.
//
//   npx tsc -b packages/langgraph && node bench/scripts/langgraph-saver.mjs [--threads 100] [--steps 10]
//
// Workload (an agent with retrieval): per thread, step 0 stores a retrieved context (--context-kb, 5) that
// never changes again; every step appends a ~200-byte message and bumps `step` and `node`, so
// each put changes 3 of 4 channels. `--all-change` makes every channel change on every step.
// Save and load run `--rounds` times (3), interleaved across savers; each saver's median round is
// reported. Prints one JSON object; ratios are stowage ops/s over SqliteSaver ops/s.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { createStowageSaver } from "@stowage/langgraph";

const { values: args } = parseArgs({
  options: {
    threads: { type: "string", default: "100" },
    steps: { type: "string", default: "10" },
    "list-size": { type: "string", default: "10000" },
    backends: { type: "string", default: "sqlite,memory,lmdb,file" },
    redis: { type: "string" },
    "all-change": { type: "boolean", default: false },
    "context-kb": { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
  },
});
const threads = Number(args.threads);
const steps = Number(args.steps);
const listSize = Number(args["list-size"]);
const rounds = Number(args.rounds);
const dir = mkdtempSync(join(tmpdir(), "stowage-saver-bench-"));

const contextKb = Number(args["context-kb"]);
const context = "retrieved passage ".repeat(Math.round((contextKb * 1024) / 18));
const message = (thread, step) => ({
  role: step % 2 ? "ai" : "user",
  content: `t${thread} s${step} ${"m".repeat(180)}`,
});

/** The checkpoints of one thread, as LangGraph would hand them to put. */
function threadSteps(thread) {
  const out = [];
  const values = { context, messages: [], step: 0, node: "start" };
  const versions = { context: 1, messages: 1, step: 1, node: 1 };
  for (let step = 0; step < steps; step++) {
    const changed =
      step === 0 || args["all-change"] ? ["context", "messages", "step", "node"] : ["messages", "step", "node"];
    if (step > 0) for (const channel of changed) versions[channel]++;
    values.messages = [...values.messages, message(thread, step)];
    values.step = step;
    values.node = `node-${step % 3}`;
    if (args["all-change"]) values.context = `${context}${step}`;
    const checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(-1),
      channel_values: structuredClone(values),
      channel_versions: { ...versions },
      versions_seen: { agent: { messages: versions.messages } },
    };
    const newVersions = Object.fromEntries(changed.map((channel) => [channel, versions[channel]]));
    out.push({ checkpoint, newVersions, metadata: { source: "loop", step, parents: {} } });
  }
  return out;
}

const workload = Array.from({ length: threads }, (_, t) => threadSteps(t));

/** Wall-clock ops/s, and this process's CPU µs per op (steadier than wall time on a busy shared machine). */
async function timeIt(fn) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const count = await fn();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return {
    count,
    ms,
    opsPerSec: Math.round((count / ms) * 1000),
    cpuUsPerOp: Math.round((cpu.user + cpu.system) / count),
  };
}

/** Runs a tenth of the workload on other threads first, so that timing starts with warm code. */
async function warmUp(saver) {
  for (let t = 0; t < Math.max(1, Math.floor(workload.length / 10)); t++) {
    let config = { configurable: { thread_id: `warm-${t}`, checkpoint_ns: "" } };
    for (const { checkpoint, metadata, newVersions } of workload[t]) {
      config = await saver.put(config, { ...checkpoint, id: uuid6(-1) }, metadata, newVersions);
      await saver.getTuple(config);
    }
  }
}

async function measure(saver, round) {
  const latest = [];
  const save = await timeIt(async () => {
    let n = 0;
    for (let t = 0; t < workload.length; t++) {
      let config = { configurable: { thread_id: `round-${round}-thread-${t}`, checkpoint_ns: "" } };
      for (const { checkpoint, metadata, newVersions } of workload[t]) {
        config = await saver.put(config, { ...checkpoint, id: uuid6(-1) }, metadata, newVersions);
        n++;
      }
      latest.push(config);
    }
    return n;
  });
  const load = await timeIt(async () => {
    let n = 0;
    for (let round = 0; round < steps; round++) {
      for (const config of latest) {
        const tuple = await saver.getTuple(config);
        if (tuple?.checkpoint.channel_values.context === undefined) throw new Error("load lost the context channel");
        n++;
      }
    }
    return n;
  });
  return { save, load };
}

async function measureList(saver) {
  const threadId = "long-thread";
  let config = { configurable: { thread_id: threadId, checkpoint_ns: "" } };
  for (let i = 0; i < listSize; i++) {
    const checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(-1),
      channel_values: { step: i },
      channel_versions: { step: i + 1 },
    };
    config = await saver.put(config, checkpoint, { source: "loop", step: i, parents: {} }, { step: i + 1 });
  }
  const firstTen = await timeIt(async () => {
    let n = 0;
    for (let round = 0; round < 100; round++) {
      for await (const _ of saver.list({ configurable: { thread_id: threadId } }, { limit: 10 })) n++;
    }
    return n / 10;
  });
  const all = await timeIt(async () => {
    let n = 0;
    for await (const _ of saver.list({ configurable: { thread_id: threadId } })) n++;
    if (n !== listSize) throw new Error(`list returned ${n} of ${listSize}`);
    return 1;
  });
  return { limit10MsPerCall: +(firstTen.ms / 100).toFixed(3), allMs: Math.round(all.ms) };
}

const results = {
  workload: {
    threads,
    steps,
    checkpoints: threads * steps,
    contextKb,
    allChannelsChange: args["all-change"],
    listSize,
  },
  rounds,
  node: process.version,
  savers: {},
};

const urls = {
  sqlite: `sqlite://${join(dir, "stowage.db")}`,
  memory: "memory://",
  lmdb: `lmdb://${join(dir, "lmdb")}`,
  file: `file://${join(dir, "files")}`,
};
const chosen = args.backends.split(",").filter(Boolean);
if (args.redis) {
  urls.redis = args.redis;
  chosen.push("redis");
}
const savers = [["SqliteSaver (peer)", SqliteSaver.fromConnString(join(dir, "langgraph-sqlite.db"))]];
for (const name of chosen) {
  savers.push([`StowageSaver ${name}`, await createStowageSaver(urls[name], { namespace: `bench-${process.pid}` })]);
}

// Rounds interleave the savers, and each saver's median round is reported, so that a burst of
// load from other processes on a shared machine does not land on one saver only.
const median = (runs, key) => runs.map((run) => run[key]).sort((a, b) => a.opsPerSec - b.opsPerSec)[runs.length >> 1];
const runs = new Map(savers.map(([name]) => [name, []]));
for (const [, saver] of savers) await warmUp(saver);
for (let round = 0; round < rounds; round++) {
  for (const [name, saver] of savers) runs.get(name).push(await measure(saver, round));
}
for (const [name, saver] of savers) {
  const saverRuns = runs.get(name);
  results.savers[name] = {
    save: median(saverRuns, "save"),
    load: median(saverRuns, "load"),
    saveRounds: saverRuns.map((run) => run.save.opsPerSec),
    loadRounds: saverRuns.map((run) => run.load.opsPerSec),
    saveCpuUsPerOp: saverRuns.map((run) => run.save.cpuUsPerOp),
    loadCpuUsPerOp: saverRuns.map((run) => run.load.cpuUsPerOp),
    list: await measureList(saver),
  };
  if (saver instanceof SqliteSaver) saver.db.close();
  else await saver.end();
}

const peerResult = results.savers["SqliteSaver (peer)"];
for (const [name, result] of Object.entries(results.savers)) {
  result.saveRatio = +(result.save.opsPerSec / peerResult.save.opsPerSec).toFixed(2);
  result.loadRatio = +(result.load.opsPerSec / peerResult.load.opsPerSec).toFixed(2);
  console.error(
    `${name.padEnd(24)} save ${String(result.save.opsPerSec).padStart(6)} ops/s (${result.saveRatio}x, cpu ${result.save.cpuUsPerOp} µs/op)  load ${String(result.load.opsPerSec).padStart(6)} ops/s (${result.loadRatio}x, cpu ${result.load.cpuUsPerOp} µs/op)  list limit 10 @${listSize}: ${result.list.limit10MsPerCall} ms  list all: ${result.list.allMs} ms`,
  );
}
console.log(JSON.stringify(results, null, 2));
rmSync(dir, { recursive: true, force: true });
