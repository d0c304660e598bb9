import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PEERS, peerByName } from "../src/peers/index.js";
import { findPython } from "../src/peers/python-diskcache.js";
import { connectRedis } from "../src/peers/redis-server.js";
import { silentProgress } from "../src/progress.js";
import { ratios } from "../src/report/ratios.js";
import { runBench } from "../src/runner.js";
import { checkpointScenario } from "../src/scenarios/checkpoint.js";
import { contentionScenario, workerScript, workerScriptMissing } from "../src/scenarios/contention.js";
import type { RunSettings } from "../src/scenarios/scenario.js";
import { SEED_ROWS, seedScenario } from "../src/scenarios/seed.js";
import { sweepScenario } from "../src/scenarios/sweep.js";
import { stowageSubject } from "../src/subjects/stowage.js";
import type { Subject } from "../src/subjects/subject.js";
import { redisUnavailable, startRedis, type TestRedis } from "./redis-for-tests.js";

const TINY: RunSettings = {
  n: 10,
  repeats: 1,
  warmup: 2,
  minMs: 0,
  workers: 2,
  durationMs: 200,
  holdMs: 0,
  callers: 1,
  killOne: false,
  threadSize: 15,
  concurrencies: [1, 4],
  valueSizes: [100],
};

const REDIS_PEERS = [
  "raw-ioredis",
  "raw-ioredis-autopipeline",
  "keyv-redis",
  "redlock",
  "redis-semaphore",
  "bentocache",
  "cacheable",
];
const LOCAL_PEERS = ["raw-better-sqlite3", "raw-lmdb", "keyv-sqlite", "proper-lockfile"];

function peer(name: string): Subject {
  const found = peerByName(name);
  if (!found) throw new Error(`no peer ${name}`);
  return found;
}

async function measuredRows(subject: Subject) {
  const rows = await runBench([seedScenario, sweepScenario, checkpointScenario], [subject], TINY, silentProgress);
  expect(rows.filter((row) => row.status !== "ok").map((row) => `${row.row}: ${row.reason}`)).toEqual([]);
  return rows;
}

it("every peer is either a local or a Redis peer or the Python one", () => {
  expect(PEERS.map((p) => p.name).sort()).toEqual(
    [...LOCAL_PEERS, ...REDIS_PEERS, "python-diskcache", "python-diskcache-full"].sort(),
  );
});

describe("local peers on the real libraries", () => {
  for (const name of LOCAL_PEERS) {
    it(`${name} measures every row it plans`, async () => {
      const rows = await measuredRows(peer(name));
      expect(rows.length).toBeGreaterThan(0);
    });
  }
});

const noRedis = redisUnavailable;
if (noRedis) console.warn(`[bench] Redis peer tests skipped: ${noRedis}`);

describe.skipIf(noRedis !== undefined)("Redis peers on a redis-server of their own", () => {
  let redis: TestRedis;
  const previous = process.env.REDIS_URL;
  beforeAll(async () => {
    redis = await startRedis();
    process.env.REDIS_URL = redis.url;
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = previous;
    await redis?.stop();
  });

  for (const name of REDIS_PEERS) {
    it(`${name} measures every row it plans and leaves no key behind`, async () => {
      const rows = await measuredRows(peer(name));
      expect(rows.length).toBeGreaterThan(0);
      const client = await connectRedis();
      try {
        const [, left] = await client.scan("0", "MATCH", "stowage-bench:*", "COUNT", 10_000);
        expect(left).toEqual([]);
      } finally {
        client.disconnect();
      }
    });
  }

  it("an unreachable Redis makes skipped rows that say why", async () => {
    process.env.REDIS_URL = "redis://127.0.0.1:1";
    try {
      const rows = await runBench([seedScenario], [peer("redlock"), peer("keyv-redis")], TINY, silentProgress);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.status).toBe("skipped");
        expect(row.reason).toMatch(/Redis not reachable at redis:\/\/127\.0\.0\.1:1/);
      }
    } finally {
      process.env.REDIS_URL = redis.url;
    }
  });

  const noWorker = workerScriptMissing();
  if (noWorker) console.warn(`[bench] multi-process contention tests skipped: ${noWorker}`);

  it.skipIf(noWorker !== undefined)(
    "contention runs redlock, redis-semaphore and proper-lockfile in worker processes",
    async () => {
      expect(existsSync(workerScript())).toBe(true);
      const contenders = [peer("redlock"), peer("redis-semaphore"), peer("proper-lockfile")];
      const rows = await runBench([contentionScenario], contenders, TINY, silentProgress);
      expect(rows.map((row) => [row.subject, row.status, row.reason])).toEqual([
        ["redlock", "ok", undefined],
        ["redis-semaphore", "ok", undefined],
        ["proper-lockfile", "ok", undefined],
      ]);
      for (const row of rows) {
        expect(row.extra?.processes).toBe(TINY.workers);
        expect(row.extra?.minPerWorker).toBeGreaterThan(0);
      }
    },
  );
});

let pythonMissing: string | undefined;
try {
  await findPython();
} catch (error) {
  pythonMissing = (error as Error).message;
  console.warn(`[bench] Python peer test skipped: ${pythonMissing}`);
}

it.skipIf(pythonMissing !== undefined)("python diskcache + filelock reports every seed row", async () => {
  const rows = await runBench([seedScenario], [peer("python-diskcache")], TINY, silentProgress);
  expect(rows.map((row) => row.row)).toEqual(seedScenario.plan(peer("python-diskcache"), TINY).map((row) => row.row));
  for (const row of rows) {
    expect(row.status).toBe("ok");
    expect(row.n).toBe(TINY.n);
    expect(row.opsPerSec).toBeGreaterThan(0);
    expect(row.rssBytes).toBeGreaterThan(0);
  }
});

it.skipIf(pythonMissing !== undefined)(
  "python diskcache takes one repeat per turn beside ours, so every seed row's ratio is paired",
  async () => {
    const settings = { ...TINY, repeats: 3 };
    const rows = await runBench(
      [seedScenario],
      [await stowageSubject("memory://"), peer("python-diskcache")],
      settings,
      silentProgress,
    );
    const python = rows.filter((row) => row.subject === "python-diskcache");
    expect(python.map((row) => row.row)).toEqual([...SEED_ROWS]);
    for (const row of python) expect(row.repeatOpsPerSec).toHaveLength(3);
    const found = ratios(rows).filter((ratio) => ratio.peer === "python-diskcache");
    expect(found).toHaveLength(SEED_ROWS.length);
    for (const ratio of found) expect(ratio.paired).toBe(true);
  },
);
