import { isDeepStrictEqual } from "node:util";
import { msSince, Recorder, timedRun } from "../measure.js";
import type { ResultRow } from "../result.js";
import type { RunSummary } from "../stats.js";
import type { CacheOps, Subject } from "../subjects/subject.js";
import { repeatRuns } from "./repeat.js";
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
): Promise<RunSummary> {
  let wrong = 0;
  const summary = await timedRun(n, 1, async (i) => {
    if (!isDeepStrictEqual(await read(i), expected)) wrong++;
  });
  if (wrong > 0) throw new Error(`${what}: ${wrong} of ${n} reads did not return what was written`);
  return summary;
}

async function concurrentMix(cache: CacheOps, n: number, tag: string): Promise<RunSummary> {
  const recorder = new Recorder();
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
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENT_WORKERS }, worker));
  return recorder.summary(msSince(start));
}

async function runSeed(subject: Subject, settings: RunSettings, done: (row: ResultRow) => void): Promise<void> {
  const planned = new Map(rowsOf(subject).map((row) => [row.row, row]));
  const report = (row: string, summary: RunSummary, runs: number) =>
    done(okRow("seed", subject, planned.get(row) as PlannedRow, summary, runs));

  if (subject.external) {
    for (const row of await subject.external.runSeed(settings)) {
      const plannedRow = planned.get(row.row);
      if (plannedRow) done({ ...okRow("seed", subject, plannedRow, row, settings.repeats), rssBytes: row.rssBytes });
    }
    return;
  }

  await withOpen(subject, async ({ cache, lock, checkpoint }) => {
    if (cache) {
      const document = jsonDocument();
      const textKey = (tag: string, i: number) => `seed:${tag}:cache:${i}`;
      const jsonKey = (tag: string, i: number) => `seed:${tag}:json:${i}`;
      const sets = await repeatRuns(settings, async (n, tag) => ({
        cache_set: await timedRun(n, 1, (i) => cache.set(textKey(tag, i), SEED_TEXT, DAY_MS)),
      }));
      report("cache_set", sets.medians.cache_set, sets.runs);
      const gets = await repeatRuns(settings, async (n, tag) => ({
        cache_get: await readBack(n, (i) => cache.get(textKey(tag, i)), SEED_TEXT, "cache_get"),
      }));
      report("cache_get", gets.medians.cache_get, gets.runs);
      const jsonSets = await repeatRuns(settings, async (n, tag) => ({
        json_set: await timedRun(n, 1, (i) => cache.set(jsonKey(tag, i), document, DAY_MS)),
      }));
      report("json_set", jsonSets.medians.json_set, jsonSets.runs);
      const jsonGets = await repeatRuns(settings, async (n, tag) => ({
        json_get: await readBack(n, (i) => cache.get(jsonKey(tag, i)), document, "json_get"),
      }));
      report("json_get", jsonGets.medians.json_get, jsonGets.runs);
    }
    if (lock) {
      const locks = await repeatRuns(settings, async (n, tag) => {
        const acquire = new Recorder();
        const release = new Recorder();
        for (let i = 0; i < n; i++) {
          const held = await acquire.time(() => lock.acquire(`seed:${tag}:lock:${i}`, 30_000, 0));
          await release.time(() => held.release());
        }
        // Acquire and release alternate in one loop, so each row's throughput is 1000 / its mean latency.
        return { lock_acquire: acquire.summary(), lock_release: release.summary() };
      });
      report("lock_acquire", locks.medians.lock_acquire, locks.runs);
      report("lock_release", locks.medians.lock_release, locks.runs);
    }
    if (checkpoint) {
      const payload = checkpointPayload();
      const thread = (tag: string, i: number) => `seed-${tag}-thread-${i}`;
      const saves = await repeatRuns(settings, async (n, tag) => ({
        checkpoint_save: await timedRun(n, 1, (i) => checkpoint.save(thread(tag, i), payload, 7 * DAY_MS)),
      }));
      report("checkpoint_save", saves.medians.checkpoint_save, saves.runs);
      const loads = await repeatRuns(settings, async (n, tag) => {
        let wrong = 0;
        const summary = await timedRun(n, 1, async (i) => {
          if ((await checkpoint.load(thread(tag, i))) === undefined) wrong++;
        });
        if (wrong > 0) throw new Error(`checkpoint_load: ${wrong} of ${n} threads had no checkpoint`);
        return { checkpoint_load: summary };
      });
      report("checkpoint_load", loads.medians.checkpoint_load, loads.runs);
    }
    if (cache) {
      const mix = await repeatRuns(settings, async (n, tag) => ({ concurrent: await concurrentMix(cache, n, tag) }));
      report("concurrent", mix.medians.concurrent, mix.runs);
    }
  });
}

/** The seed report's table, on the seed's exact workload. */
export const seedScenario: Scenario = {
  name: "seed",
  description:
    "the seed report's table: N ops per row of cache set/get (100 B, 1-day TTL), JSON set/get (20 fields), lock acquire/release (N distinct names), checkpoint save/load (~2 KB, 7-day TTL), and 4 concurrent workers doing set+get",
  plan: (subject) => rowsOf(subject),
  run: runSeed,
};
