import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Checkpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { median } from "../stats.js";
import { agentGraph } from "./agent-graph.js";
import { type SaverKind, saverKinds } from "./savers.js";

export interface LanggraphSettings {
  /** Steps per thread, one row each. */
  steps: readonly number[];
  threads: number;
  rounds: number;
  /** Timed puts and getTuples at the last step (after 2 untimed). */
  samples: number;
  redisUrl?: string;
  /** Only these savers (SqliteSaver always runs: every ratio is against it). */
  savers?: readonly string[];
}

/** One saver's medians at one N: ms per thread run, µs per put / getTuple at the last step, ms per history, bytes per thread. */
export interface LanggraphRow {
  saver: string;
  steps: number;
  runMs: number;
  putUs: number;
  getTupleUs: number;
  historyMs: number;
  bytesPerThread: number | undefined;
  /** bytesPerThread over the JSON size of a thread's final state. */
  bytesOverFinal: number | undefined;
  /** SqliteSaver's figure over this saver's, each the median of per-round ratios (> 1: this saver is ahead). */
  vsSqliteSaver?: { run: number; put: number; getTuple: number; history: number; bytes: number | undefined };
}

interface Round {
  runMs: number;
  putUs: number;
  getTupleUs: number;
  historyMs: number;
  bytes: number | undefined;
  finalBytes: number;
}

async function measure(kind: SaverKind, steps: number, settings: LanggraphSettings, run: number): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), "stowage-bench-langgraph-"));
  try {
    // Phase 1: whole runs, then the bytes they left (files measured after close, when SQLite's WAL is folded in).
    let opened = await kind.open(dir, run);
    const graph = agentGraph(steps, opened.saver);
    const runTimes: number[] = [];
    let finalBytes = 0;
    for (let t = 0; t < settings.threads; t++) {
      const config = { configurable: { thread_id: `thread-${t}` }, recursionLimit: steps + 10 };
      const start = performance.now();
      const state = await graph.invoke({ step: 0, node: "start", done: false }, config);
      runTimes.push(performance.now() - start);
      finalBytes = Buffer.byteLength(JSON.stringify(state));
    }
    let bytes = kind.name.endsWith("redis") || kind.reopens === false ? await opened.bytes() : undefined;
    if (kind.reopens !== false) {
      await opened.close();
      if (!kind.name.endsWith("redis")) bytes = await opened.bytes();
      // Phase 2: put and getTuple at the last step of thread 0, and a whole history, on a reopened store.
      opened = await kind.open(dir, run);
    }
    const saver = opened.saver;
    const config = { configurable: { thread_id: "thread-0", checkpoint_ns: "" } };
    let tuple = await saver.getTuple(config);
    const putTimes: number[] = [];
    for (let i = 0; i < settings.samples + 2; i++) {
      if (!tuple) throw new Error(`${kind.name}: thread-0 has no checkpoint`);
      const previous = tuple.checkpoint;
      const versions = { ...previous.channel_versions };
      const newVersions: Record<string, string | number> = {};
      for (const channel of ["messages", "step"]) {
        newVersions[channel] = saver.getNextVersion(versions[channel] as number | undefined);
        versions[channel] = newVersions[channel] as number;
      }
      const messages = previous.channel_values.messages as unknown[];
      const checkpoint: Checkpoint = {
        ...previous,
        id: uuid6(-1),
        ts: new Date().toISOString(),
        channel_values: {
          ...previous.channel_values,
          messages: [...messages, { role: "user", content: `extra ${i}` }, { role: "ai", content: `extra ${i}` }],
          step: (previous.channel_values.step as number) + 1,
        },
        channel_versions: versions,
      };
      const start = performance.now();
      const next = await saver.put(
        tuple.config,
        checkpoint,
        { source: "loop", step: steps + i, parents: {} },
        newVersions,
      );
      if (i >= 2) putTimes.push((performance.now() - start) * 1000);
      tuple = { ...tuple, config: next, checkpoint };
    }
    const getTimes: number[] = [];
    for (let i = 0; i < settings.samples + 2; i++) {
      const start = performance.now();
      await saver.getTuple(config);
      if (i >= 2) getTimes.push((performance.now() - start) * 1000);
    }
    const historyGraph = agentGraph(steps, saver);
    const start = performance.now();
    for await (const _snapshot of historyGraph.getStateHistory({
      configurable: { thread_id: settings.threads > 1 ? "thread-1" : "thread-0" },
    })) {
      // read every snapshot of the thread
    }
    const historyMs = performance.now() - start;
    await opened.close();
    return {
      runMs: median(runTimes),
      putUs: median(putTimes),
      getTupleUs: median(getTimes),
      historyMs,
      bytes: bytes === undefined ? undefined : bytes / settings.threads,
      finalBytes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every saver at every N in interleaved rounds (the order rotates each round) and pairs each with SqliteSaver. */
export async function runLanggraphScenario(settings: LanggraphSettings): Promise<LanggraphRow[]> {
  const kinds = saverKinds(settings.redisUrl).filter(
    (kind) => kind.name === "SqliteSaver" || settings.savers === undefined || settings.savers.includes(kind.name),
  );
  const rows: LanggraphRow[] = [];
  let run = 0;
  for (const steps of settings.steps) {
    const rounds = new Map<string, Round[]>(kinds.map((kind) => [kind.name, []]));
    for (let r = 0; r < settings.rounds; r++) {
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(k + r) % kinds.length] as SaverKind;
        rounds.get(kind.name)?.push(await measure(kind, steps, settings, ++run));
      }
    }
    const peer = rounds.get("SqliteSaver") as Round[];
    for (const kind of kinds) {
      const own = rounds.get(kind.name) as Round[];
      const paired = (pick: (round: Round) => number | undefined) => {
        const ratios = own.map((round, i) => {
          const mine = pick(round);
          const theirs = pick(peer[i] as Round);
          return mine === undefined || theirs === undefined ? undefined : theirs / mine;
        });
        return ratios.some((ratio) => ratio === undefined) ? undefined : median(ratios as number[]);
      };
      const bytes = own.every((round) => round.bytes !== undefined)
        ? median(own.map((round) => round.bytes as number))
        : undefined;
      rows.push({
        saver: kind.name,
        steps,
        runMs: median(own.map((round) => round.runMs)),
        putUs: median(own.map((round) => round.putUs)),
        getTupleUs: median(own.map((round) => round.getTupleUs)),
        historyMs: median(own.map((round) => round.historyMs)),
        bytesPerThread: bytes,
        bytesOverFinal: bytes === undefined ? undefined : bytes / median(own.map((round) => round.finalBytes)),
        ...(kind.name === "SqliteSaver"
          ? {}
          : {
              vsSqliteSaver: {
                run: paired((round) => round.runMs) as number,
                put: paired((round) => round.putUs) as number,
                getTuple: paired((round) => round.getTupleUs) as number,
                history: paired((round) => round.historyMs) as number,
                bytes: paired((round) => round.bytes),
              },
            }),
      });
    }
  }
  return rows;
}
