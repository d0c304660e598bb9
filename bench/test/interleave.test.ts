import { describe, expect, it } from "vitest";
import { choosePeerRedis } from "../src/peers/redis-server.js";
import { pairedRatios, ratios } from "../src/report/ratios.js";
import type { ResultRow } from "../src/result.js";
import { repeatRuns } from "../src/scenarios/repeat.js";
import { summarize } from "../src/stats.js";
import { runInTurns } from "../src/turns.js";

const SETTINGS = { n: 1, repeats: 3, warmup: 1, minMs: 0 };

describe("runInTurns", () => {
  it("runs repeat r of a row on every subject before repeat r+1, rotating the order, setup not overlapping", async () => {
    const log: string[] = [];
    const task = (name: string, rows: string[]) => async () => {
      log.push(`${name} open`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      for (const row of rows) {
        await repeatRuns(row, SETTINGS, async (_n, tag) => {
          log.push(`${name} ${row} ${tag}`);
          await new Promise((resolve) => setImmediate(resolve));
          return { x: summarize([1], 1) };
        });
      }
      log.push(`${name} close`);
    };
    await runInTurns([task("A", ["set", "get"]), task("B", ["set", "get"]), task("C", ["get"])]);
    expect(log).toEqual([
      "A open",
      "B open",
      "C open",
      "A set warm",
      "B set warm",
      "A set r0",
      "B set r0",
      "B set r1",
      "A set r1",
      "A set r2",
      "B set r2",
      "A get warm",
      "B get warm",
      "C get warm",
      "A get r0",
      "B get r0",
      "C get r0",
      "B get r1",
      "C get r1",
      "A get r1",
      "C get r2",
      "C close", // a task keeps its turn until its next repeat or its end
      "A get r2",
      "A close",
      "B get r2",
      "B close",
    ]);
  });

  it("lets the others go on when a task throws", async () => {
    const log: string[] = [];
    const failing = async () => {
      await repeatRuns("row", SETTINGS, async (_n, tag) => {
        if (tag === "r1") throw new Error("boom");
        log.push(`F ${tag}`);
        return { x: summarize([1], 1) };
      });
    };
    const fine = async () => {
      await repeatRuns("row", SETTINGS, async (_n, tag) => {
        log.push(`G ${tag}`);
        return { x: summarize([1], 1) };
      });
    };
    await runInTurns([async () => failing().catch(() => log.push("F failed")), fine]);
    expect(log).toEqual(["F warm", "G warm", "F r0", "G r0", "G r1", "F failed", "G r2"]);
  });
});

function row(subject: string, kind: "backend" | "peer", repeatOpsPerSec?: number[]): ResultRow {
  return {
    scenario: "sweep",
    row: "set",
    subject,
    kind,
    params: { concurrency: 64 },
    status: "ok",
    opsPerSec: 100,
    ...(repeatOpsPerSec ? { repeatOpsPerSec } : {}),
  };
}

describe("paired ratios", () => {
  it("takes the median of run i ÷ run i, with min and max, not the ratio of medians", () => {
    // Medians are 300 and 300 (ratio 1), but each round ours was faster: 2, 1.5, 1.25.
    const ours = row("redis://x", "backend", [200, 300, 500]);
    const peer = row("raw-ioredis", "peer", [100, 200, 400]);
    expect(pairedRatios(ours, peer)).toEqual([2, 1.5, 1.25]);
    const [found] = ratios([ours, peer]);
    expect(found).toMatchObject({ ratio: 1.5, paired: true, min: 1.25, max: 2 });
  });

  it("falls back to the ratio of medians when a side has no runs (an out-of-process peer)", () => {
    const ours = { ...row("sqlite://x", "backend", [1, 2, 3]), opsPerSec: 300 };
    const peer = row("python-diskcache", "peer");
    const [found] = ratios([ours, peer]);
    expect(found).toMatchObject({ ratio: 3, paired: false });
    expect(found?.min).toBeUndefined();
  });
});

describe("choosePeerRedis", () => {
  it("uses the first Redis backend's server, without its query string", () => {
    expect(
      choosePeerRedis(["memory://", "hybrid+redis://127.0.0.1:46379/2?namespace=a", "redis://127.0.0.1:1"], {
        REDIS_URL: "redis://127.0.0.1:9",
      }),
    ).toEqual({ url: "redis://127.0.0.1:46379/2", from: "--backends" });
  });

  it("falls back to REDIS_URL, then to 127.0.0.1:6379", () => {
    expect(choosePeerRedis(["memory://"], { REDIS_URL: "redis://127.0.0.1:9" })).toEqual({
      url: "redis://127.0.0.1:9",
      from: "REDIS_URL",
    });
    expect(choosePeerRedis(["sqlite:///tmp/x.db"], {})).toEqual({ url: "redis://127.0.0.1:6379", from: "default" });
  });
});
