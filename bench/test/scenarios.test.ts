import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../src/args.js";
import { PEERS, peerByName } from "../src/peers/index.js";
import { silentProgress } from "../src/progress.js";
import type { ResultRow } from "../src/result.js";
import { runBench } from "../src/runner.js";
import { checkpointScenario } from "../src/scenarios/checkpoint.js";
import { contentionScenario } from "../src/scenarios/contention.js";
import { SCENARIOS } from "../src/scenarios/index.js";
import type { RunSettings } from "../src/scenarios/scenario.js";
import { SEED_ROWS, seedScenario } from "../src/scenarios/seed.js";
import { SWEEP_BYTE_BUDGET, sweepOps, sweepScenario } from "../src/scenarios/sweep.js";
import { checkpointPayload, jsonDocument } from "../src/scenarios/workload.js";
import { stowageSubject } from "../src/subjects/stowage.js";
import type { Subject } from "../src/subjects/subject.js";

const TINY: RunSettings = {
  n: 12,
  repeats: 3,
  warmup: 2,
  minMs: 0,
  workers: 3,
  durationMs: 150,
  holdMs: 0,
  callers: 1,
  killOne: false,
  threadSize: 25,
  concurrencies: [1, 4],
  valueSizes: [100, 2048],
};

const memory = await stowageSubject("memory://");

function peer(name: string): Subject {
  const found = peerByName(name);
  if (!found) throw new Error(`no peer ${name}`);
  return found;
}

describe("scenario definitions", () => {
  it("seed has the seed report's nine rows, in its order, and lock_cycle beside the two lock rows", () => {
    expect(SEED_ROWS).toEqual([
      "cache_set",
      "cache_get",
      "json_set",
      "json_get",
      "lock_acquire",
      "lock_release",
      "lock_cycle",
      "checkpoint_save",
      "checkpoint_load",
      "concurrent",
    ]);
    expect(seedScenario.plan(memory, TINY).map((row) => row.row)).toEqual([...SEED_ROWS]);
    expect(seedScenario.plan(peer("redlock"), TINY).map((row) => row.row)).toEqual([
      "lock_acquire",
      "lock_release",
      "lock_cycle",
    ]);
    expect(seedScenario.plan(peer("keyv-sqlite"), TINY).map((row) => row.row)).not.toContain("lock_acquire");
    expect(seedScenario.plan(peer("python-diskcache"), TINY).map((row) => row.row)).toEqual([...SEED_ROWS]);
  });

  it("seed payloads are the seed's: a 20-field object of ~600 bytes and a ~2 KB checkpoint", () => {
    expect(Object.keys(jsonDocument())).toHaveLength(20);
    const documentBytes = JSON.stringify(jsonDocument()).length;
    expect(documentBytes).toBeGreaterThan(500);
    expect(documentBytes).toBeLessThan(700);
    const payloadBytes = JSON.stringify(checkpointPayload()).length;
    expect(payloadBytes).toBeGreaterThan(1800);
    expect(payloadBytes).toBeLessThan(2200);
  });

  it("sweep covers every concurrency × value size × get/set, by default 1/4/16/64 and 100 B/10 KB/1 MB", () => {
    expect(
      sweepScenario.plan(memory, { ...TINY, concurrencies: DEFAULTS.concurrencies, valueSizes: DEFAULTS.valueSizes }),
    ).toHaveLength(24);
    const rows = sweepScenario.plan(memory, TINY);
    expect(rows).toHaveLength(8);
    expect(rows).toContainEqual({ row: "get", params: { concurrency: 4, valueBytes: 2048 } });
    expect(sweepScenario.plan(peer("redlock"), TINY)).toEqual([]);
    expect(sweepScenario.plan(peer("python-diskcache"), TINY)).toEqual([]);
  });

  it("sweep caps the bytes a row of large values moves", () => {
    expect(sweepOps(2000, 100)).toBe(2000);
    expect(sweepOps(2000, 1024 * 1024)).toBe(SWEEP_BYTE_BUDGET / (1024 * 1024));
    expect(sweepOps(5, 1024 * 1024)).toBe(5);
    expect(sweepOps(2000, 1024 ** 3)).toBe(20);
  });

  it("contention runs stowage backends and the peers that can run in worker processes", async () => {
    expect(contentionScenario.plan(memory, TINY)).toEqual([{ row: "lock_cycle", params: { workers: 3, holdMs: 0 } }]);
    expect((await stowageSubject("sqlite:///tmp/x.db")).worker).toEqual({ kind: "url", url: "sqlite:///tmp/x.db" });
    expect(memory.worker).toBeUndefined();
    const contenders = PEERS.filter((p) => contentionScenario.plan(p, TINY).length > 0).map((p) => p.name);
    expect(contenders).toEqual(["redlock", "redis-semaphore", "proper-lockfile", "python-diskcache"]);
  });

  it("checkpoint runs on subjects that can list a thread", () => {
    expect(checkpointScenario.plan(memory, TINY).map((row) => row.row)).toEqual([
      "put",
      "get_latest",
      "list_10",
      "delete_thread",
    ]);
    expect(checkpointScenario.plan(peer("keyv-redis"), TINY)).toEqual([]);
    expect(checkpointScenario.plan(peer("raw-lmdb"), TINY)).toHaveLength(4);
  });

  it("every scenario has a unique name and a description", () => {
    expect(new Set(SCENARIOS.map((s) => s.name)).size).toBe(SCENARIOS.length);
    for (const scenario of SCENARIOS) expect(scenario.description.length).toBeGreaterThan(20);
  });
});

function expectMeasured(rows: ResultRow[], scenario: string, count: number): void {
  const mine = rows.filter((row) => row.scenario === scenario);
  expect(mine.filter((row) => row.status !== "ok").map((row) => row.reason)).toEqual([]);
  expect(mine).toHaveLength(count);
  for (const row of mine) {
    expect(row.opsPerSec).toBeGreaterThan(0);
    expect(Number.isFinite(row.opsPerSec)).toBe(true);
    expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms as number);
    expect(row.rssBytes).toBeGreaterThan(0);
  }
}

describe("running on memory://", () => {
  it("measures every row of every scenario with a tiny N", async () => {
    const rows = await runBench(SCENARIOS, [memory], TINY, silentProgress);
    expectMeasured(rows, "seed", 10);
    expectMeasured(rows, "sweep", 8);
    expectMeasured(rows, "contention", 1);
    expectMeasured(rows, "checkpoint", 4);
    const seedRows = rows.filter((row) => row.scenario === "seed");
    for (const row of seedRows) {
      expect(row.n).toBe(TINY.n);
      expect(row.runs).toBe(TINY.repeats);
    }
    const put = rows.find((row) => row.scenario === "checkpoint" && row.row === "put");
    expect(put?.n).toBe(TINY.threadSize);
    const cycle = rows.find((row) => row.scenario === "contention");
    expect(cycle?.extra?.minPerWorker).toBeGreaterThan(0);
    expect(cycle?.extra?.maxPerWorker).toBeGreaterThanOrEqual(cycle?.extra?.minPerWorker as number);
    expect(cycle?.n).toBeGreaterThanOrEqual(TINY.workers);
  });
});

describe("failures become skipped rows, not crashes", () => {
  it("a backend that fails to open gets a skipped row per planned row, with the reason", async () => {
    const rows = await runBench(
      [seedScenario],
      [await stowageSubject("nosuch://x"), memory],
      { ...TINY, repeats: 1 },
      silentProgress,
    );
    const skipped = rows.filter((row) => row.subject === "nosuch://x");
    expect(skipped).toHaveLength(10);
    for (const row of skipped) {
      expect(row.status).toBe("skipped");
      expect(row.reason).toMatch(/unknown URL scheme "nosuch:"/);
    }
    expect(rows.filter((row) => row.subject === "memory://" && row.status === "ok")).toHaveLength(10);
  });

  it("a cache that loses writes is reported, not measured", async () => {
    const forgetful: Subject = {
      name: "forgetful",
      kind: "peer",
      capabilities: ["cache"],
      open: async () => ({ cache: { set: async () => {}, get: async () => undefined }, close: async () => {} }),
    };
    const rows = await runBench([seedScenario], [forgetful], { ...TINY, repeats: 1 }, silentProgress);
    expect(rows.find((row) => row.row === "cache_set")?.status).toBe("ok");
    const get = rows.find((row) => row.row === "cache_get");
    expect(get?.status).toBe("skipped");
    expect(get?.reason).toMatch(/cache_get: \d+ of \d+ reads did not return what was written/);
  });

  it("a subject that cannot open is closed out of every scenario it plans", async () => {
    const broken: Subject = {
      name: "broken",
      kind: "peer",
      capabilities: ["cache", "checkpoint", "checkpointList"],
      open: async () => {
        throw new Error("disk on fire");
      },
    };
    const rows = await runBench([seedScenario, sweepScenario, checkpointScenario], [broken], TINY, silentProgress);
    expect(rows).toHaveLength(7 + 8 + 4);
    expect(new Set(rows.map((row) => row.reason))).toEqual(new Set(["disk on fire"]));
  });

  it("progress hears about every row", async () => {
    const seen: string[] = [];
    let total = 0;
    await runBench(
      [seedScenario],
      [memory],
      { ...TINY, repeats: 1 },
      {
        start: (rows) => {
          total = rows;
        },
        row: (row) => seen.push(row.row),
        stop: () => seen.push("stop"),
      },
    );
    expect(total).toBe(10);
    expect(seen).toEqual([...SEED_ROWS, "stop"]);
  });
});
