import { isDeepStrictEqual } from "node:util";
import { msSince, Recorder, timedRun } from "../measure.js";
import type { ResultRow } from "../result.js";
import type { RunSummary } from "../stats.js";
import type { CacheOps, SeedServer, Subject } from "../subjects/subject.js";
import { type RowRuns, repeatRuns } from "./repeat.js";
import { okRow, type PlannedRow, type RunSettings, type Scenario, withOpen } from "./scenario.js";
import { checkpointPayload, DAY_MS, jsonDocument, SEED_TEXT } from "./workload.js";

/** The seed report's rows, in its order. */
export const SEED_ROWS = [
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
] as const;

const CONCURRENT_WORKERS = 4;

function rowsOf(subject: Subject): PlannedRow[] {
  const has = (capability: "cache" | "lock" | "checkpoint") => subject.capabilities.includes(capability);
  return SEED_ROWS.filter((row) =>
    row.startsWith("lock_") ? has("lock") : row.startsWith("checkpoint_") ? has("checkpoint") : has("cache"),
  ).map((row) => ({ row, params: {} }));
}

/** Reads every key back and throws unless each read returns `expected`: a row of misses measures nothing. */
async function readBack(
  n: number,
  read: (index: number) => Promise<unknown>,
  expected: unknown,
  what: string,
  minMs: number,
): Promise<RunSummary> {
  let wrong = 0;
  const summary = await timedRun(
    n,
    1,
    async (i) => {
      if (!isDeepStrictEqual(await read(i), expected)) wrong++;
    },
    minMs,
  );
  if (wrong > 0) throw new Error(`${what}: ${wrong} of ${n} reads did not return what was written`);
  return summary;
}

async function concurrentMix(cache: CacheOps, n: number, tag: string, minMs: number): Promise<RunSummary> {
  const recorder = new Recorder();
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  do {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const index = next;
        next += 2;
        const key = `seed:${tag}:mix:${index}`;
        await recorder.time(() => cache.set(key, SEED_TEXT, DAY_MS));
        await recorder.time(() => cache.get(key));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT_WORKERS }, worker));
  } while (n > 0 && msSince(start) < minMs);
  const elapsed = msSince(start);
  const cpu = process.cpuUsage(cpuStart);
  return recorder.summary(elapsed, cpu.user + cpu.system);
}

/** The repeat keys of runSeed below, in its order, with the external runner's group for each. */
const SERVED_GROUPS = [
  ["seed cache_set", "cache_set"],
  ["seed cache_get", "cache_get"],
  ["seed json_set", "json_set"],
  ["seed json_get", "json_get"],
  ["seed lock_acquire", "lock"],
  ["seed checkpoint_save", "checkpoint_save"],
  ["seed checkpoint_load", "checkpoint_load"],
  ["seed concurrent", "concurrent"],
] as const;

/** An external subject's repeats under the same keys as ours, so each shares its time window with ours. */
async function runServed(
  subject: Subject,
  server: SeedServer,
  settings: RunSettings,
  done: (row: ResultRow) => void,
): Promise<void> {
  const planned = new Map(rowsOf(subject).map((row) => [row.row, row]));
  let rssBytes = 0;
  for (const [key, group] of SERVED_GROUPS) {
    const measured = await repeatRuns(key, settings, async (n, tag, minMs) => {
      const reply = await server.run(group, n, tag, minMs);
      rssBytes = reply.rssBytes;
      return reply.rows;
    });
    for (const [row, runs] of Object.entries(measured)) {
      const plannedRow = planned.get(row);
      // Its CPU time is the other process's, not ours: n/a rather than this process's figure.
      if (plannedRow)
        done({ ...okRow("seed", subject, plannedRow, runs.median, runs.runs), rssBytes, cpuUsPerOp: null });
    }
  }
}

async function runSeed(subject: Subject, settings: RunSettings, done: (row: ResultRow) => void): Promise<void> {
  const planned = new Map(rowsOf(subject).map((row) => [row.row, row]));
  const report = (row: string, measured: RowRuns) =>
    done(okRow("seed", subject, planned.get(row) as PlannedRow, measured.median, measured.runs));

  if (subject.external?.serve) {
    const server = await subject.external.serve();
    try {
      await runServed(subject, server, settings, done);
    } finally {
      await server.close();
    }
    return;
  }
  if (subject.external) {
    for (const row of await subject.external.runSeed(settings)) {
      const plannedRow = planned.get(row.row);
      // Its CPU time is the other process's, not ours: n/a rather than this process's figure.
      if (plannedRow)
        done({
          ...okRow("seed", subject, plannedRow, row, settings.repeats),
          rssBytes: row.rssBytes,
          cpuUsPerOp: null,
        });
    }
    return;
  }

  await withOpen(subject, async ({ cache, lock, checkpoint }) => {
    if (cache) {
      const document = jsonDocument();
      const textKey = (tag: string, i: number) => `seed:${tag}:cache:${i}`;
      const jsonKey = (tag: string, i: number) => `seed:${tag}:json:${i}`;
      const sets = await repeatRuns("seed cache_set", settings, async (n, tag, minMs) => ({
        cache_set: await timedRun(n, 1, (i) => cache.set(textKey(tag, i), SEED_TEXT, DAY_MS), minMs),
      }));
      report("cache_set", sets.cache_set);
      const gets = await repeatRuns("seed cache_get", settings, async (n, tag, minMs) => ({
        cache_get: await readBack(n, (i) => cache.get(textKey(tag, i)), SEED_TEXT, "cache_get", minMs),
      }));
      report("cache_get", gets.cache_get);
      const jsonSets = await repeatRuns("seed json_set", settings, async (n, tag, minMs) => ({
        json_set: await timedRun(n, 1, (i) => cache.set(jsonKey(tag, i), document, DAY_MS), minMs),
      }));
      report("json_set", jsonSets.json_set);
      const jsonGets = await repeatRuns("seed json_get", settings, async (n, tag, minMs) => ({
        json_get: await readBack(n, (i) => cache.get(jsonKey(tag, i)), document, "json_get", minMs),
      }));
      report("json_get", jsonGets.json_get);
    }
    if (lock) {
      const locks = await repeatRuns("seed lock_acquire", settings, async (n, tag, minMs) => {
        const acquire = new Recorder({ cpu: true });
        const release = new Recorder({ cpu: true });
        const cycle = new Recorder({ cpu: true });
        const start = process.hrtime.bigint();
        do {
          for (let i = 0; i < n; i++) {
            await cycle.time(async () => {
              const held = await acquire.time(() => lock.acquire(`seed:${tag}:lock:${i}`, 30_000, 0));
              await release.time(() => held.release());
            });
          }
        } while (n > 0 && msSince(start) < minMs);
        // Acquire and release alternate in one loop, so each row's throughput is 1000 / its mean latency.
        return { lock_acquire: acquire.summary(), lock_release: release.summary(), lock_cycle: cycle.summary() };
      });
      report("lock_acquire", locks.lock_acquire);
      report("lock_release", locks.lock_release);
      report("lock_cycle", locks.lock_cycle);
    }
    if (checkpoint) {
      const payload = checkpointPayload();
      const thread = (tag: string, i: number) => `seed-${tag}-thread-${i}`;
      const saves = await repeatRuns("seed checkpoint_save", settings, async (n, tag, minMs) => ({
        checkpoint_save: await timedRun(n, 1, (i) => checkpoint.save(thread(tag, i), payload, 7 * DAY_MS), minMs),
      }));
      report("checkpoint_save", saves.checkpoint_save);
      const loads = await repeatRuns("seed checkpoint_load", settings, async (n, tag, minMs) => {
        let wrong = 0;
        const summary = await timedRun(
          n,
          1,
          async (i) => {
            if ((await checkpoint.load(thread(tag, i))) === undefined) wrong++;
          },
          minMs,
        );
        if (wrong > 0) throw new Error(`checkpoint_load: ${wrong} of ${n} threads had no checkpoint`);
        return { checkpoint_load: summary };
      });
      report("checkpoint_load", loads.checkpoint_load);
    }
    if (cache) {
      const mix = await repeatRuns("seed concurrent", settings, async (n, tag, minMs) => ({
        concurrent: await concurrentMix(cache, n, tag, minMs),
      }));
      report("concurrent", mix.concurrent);
    }
  });
}

/** The seed report's table, on the seed's exact workload. */
export const seedScenario: Scenario = {
  name: "seed",
  description:
    "the seed report's table: N ops per row of cache set/get (100 B, 1-day TTL), JSON set/get (20 fields), lock acquire/release (N distinct names) and lock_cycle (the two together), checkpoint save/load (~2 KB, 7-day TTL), and 4 concurrent workers doing set+get",
  plan: (subject) => rowsOf(subject),
  run: runSeed,
};
