import { describe, expect, it } from "vitest";
import type { CycleResult } from "../src/contention/cycle.js";
import { handOffs } from "../src/contention/hand-offs.js";
import { peerByName } from "../src/peers/index.js";
import { findPython } from "../src/peers/python-diskcache.js";
import { scratchDir } from "../src/peers/temp-dir.js";
import { silentProgress } from "../src/progress.js";
import type { ResultRow } from "../src/result.js";
import { runBench } from "../src/runner.js";
import { contentionScenario, workerScriptMissing } from "../src/scenarios/contention.js";
import type { RunSettings } from "../src/scenarios/scenario.js";
import { stowageSubject } from "../src/subjects/stowage.js";
import type { Subject } from "../src/subjects/subject.js";

const HELD: RunSettings = {
  n: 10,
  repeats: 1,
  warmup: 0,
  minMs: 0,
  workers: 3,
  durationMs: 300,
  holdMs: 2,
  callers: 1,
  killOne: false,
  threadSize: 10,
  concurrencies: [1],
  valueSizes: [100],
};

function contender(holds: Array<[number, number]>): CycleResult {
  return {
    acquisitions: holds.length,
    waitsMs: holds.map(() => 0),
    elapsedMs: 0,
    heldFrom: holds.map((hold) => hold[0]),
    heldUntil: holds.map((hold) => hold[1]),
  };
}

/** The columns every contention row owes, each within what it can physically be. */
function expectSaneColumns(row: ResultRow | undefined, settings: RunSettings) {
  expect(row?.status, row?.reason).toBe("ok");
  const extra = row?.extra ?? {};
  for (const column of ["acquisitionsPerSec", "utilisation", "freeGapP50Ms", "freeGapP99Ms"]) {
    expect(Number.isFinite(extra[column]), column).toBe(true);
  }
  expect(extra.utilisation).toBeGreaterThan(0);
  expect(extra.utilisation).toBeLessThanOrEqual(1);
  expect(extra.freeGapP50Ms).toBeGreaterThanOrEqual(0);
  expect(extra.freeGapP99Ms).toBeGreaterThanOrEqual(extra.freeGapP50Ms as number);
  expect(extra.minPerWorker).toBeGreaterThan(0);
  expect(extra.maxPerWorker).toBeGreaterThanOrEqual(extra.minPerWorker as number);
  // Each acquisition is held holdMs, so no more than 1000 / holdMs of them fit in a second.
  expect(extra.acquisitionsPerSec).toBeLessThanOrEqual(1000 / settings.holdMs);
  expect(row?.params.holdMs).toBe(settings.holdMs);
}

let pythonMissing: string | undefined;
try {
  await findPython();
} catch (error) {
  pythonMissing = (error as Error).message;
  console.warn(`[bench] filelock contention test skipped: ${pythonMissing}`);
}

describe("hand-off columns", () => {
  it("merge every contender's holds: gaps between them, time held over wall, shares", () => {
    const passed = handOffs([
      contender([
        [0, 2],
        [6, 8],
      ]),
      contender([[3, 5]]),
    ]);
    expect(passed.utilisation).toBeCloseTo(6 / 8);
    expect(passed.freeGapP50Ms).toBeCloseTo(1);
    expect(passed.freeGapP99Ms).toBeCloseTo(1);
    expect(passed.acquisitionsPerSec).toBeCloseTo(3000 / 8);
    expect([passed.minPerProcess, passed.maxPerProcess]).toEqual([1, 2]);
    expect(passed.overlaps).toBe(0);
  });

  it("count holds that overlap, which a lock that excludes never shows", () => {
    expect(handOffs([contender([[0, 4]]), contender([[3, 5]])]).overlaps).toBe(1);
  });
});

describe("contention with --hold-ms", () => {
  it("reports acquisitions/s, utilisation, free gaps and shares on memory:// (async contenders)", async () => {
    const rows = await runBench([contentionScenario], [await stowageSubject("memory://")], HELD, silentProgress);
    expectSaneColumns(rows[0], HELD);
  });

  const noWorker = workerScriptMissing();
  if (noWorker) console.warn(`[bench] multi-process hold test skipped: ${noWorker}`);

  it.skipIf(noWorker !== undefined)("reports the same columns for sqlite:// across worker processes", async () => {
    const dir = await scratchDir("contention-test");
    try {
      const rows = await runBench(
        [contentionScenario],
        [await stowageSubject(`sqlite://${dir.path}/locks.db`)],
        HELD,
        silentProgress,
      );
      expectSaneColumns(rows[0], HELD);
      expect(rows[0]?.extra?.processes).toBe(HELD.workers);
    } finally {
      await dir.remove();
    }
  });

  it.skipIf(noWorker !== undefined)(
    "--callers and --kill-one: several callers per process, one process SIGKILLed while waiting; the survivors report",
    async () => {
      const dir = await scratchDir("contention-test");
      const settings: RunSettings = { ...HELD, workers: 3, callers: 3, killOne: true, durationMs: 900 };
      try {
        const rows = await runBench(
          [contentionScenario],
          [await stowageSubject(`sqlite://${dir.path}/locks.db`)],
          settings,
          silentProgress,
        );
        expectSaneColumns(rows[0], settings);
        expect(rows[0]?.params).toMatchObject({ callers: 3, killed: 1 });
        // The victim died (it reports nothing): two survivors.
        expect(rows[0]?.extra?.processes).toBe(2);
        const extra = rows[0]?.extra ?? {};
        // The longest gap is a real gap: at least the p99, and finite.
        expect(extra.longestGapMs as number).toBeGreaterThanOrEqual(extra.freeGapP99Ms as number);
        expect(Number.isFinite(extra.longestGapMs)).toBe(true);
      } finally {
        await dir.remove();
      }
    },
  );

  it.skipIf(pythonMissing !== undefined)("runs Python filelock contenders as processes", async () => {
    const python = peerByName("python-diskcache") as Subject;
    const rows = await runBench([contentionScenario], [python], HELD, silentProgress);
    expectSaneColumns(rows[0], HELD);
    expect(rows[0]?.extra?.processes).toBe(HELD.workers);
  });
});
