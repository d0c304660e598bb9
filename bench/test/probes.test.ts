import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { isStowageError } from "@stowage/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syscallsPerOp } from "../src/probes/fs-syscalls.js";
import { PROBES } from "../src/probes/index.js";
import { parseProbeArgs, runProbe } from "../src/probes/probe-args.js";
import { redisUnavailable, startRedis, type TestRedis } from "./redis-for-tests.js";

/** Runs a probe as `npm run bench -- …` would and returns what it printed. */
async function probe(...words: string[]): Promise<string[]> {
  // Each argument may hold several space-separated words, so a command reads as one line.
  const argv = words.flatMap((word) => word.split(" "));
  const lines: string[] = [];
  const out = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  await runProbe(argv, out);
  return lines;
}

/** A printed figure that is not a number means a subject measured nothing. */
function expectFigures(lines: string[]): void {
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.join("\n")).not.toMatch(/NaN|undefined|Infinity/);
}

let redis: TestRedis;
if (redisUnavailable) console.warn(`[bench] the Redis probes are skipped: ${redisUnavailable}`);
beforeAll(async () => {
  if (!redisUnavailable) redis = await startRedis();
}, 30_000);
afterAll(() => redis?.stop());

describe("every probe runs on a tiny count, so none can rot", () => {
  it("fs-op-cost prints wall and CPU time for every seed operation and raw floor", async () => {
    const lines = await probe("--probe fs-op-cost --n 5 --rounds 1");
    expectFigures(lines);
    for (const op of ["cache_get", "lock_release", "checkpoint_load", "raw_unlink"]) {
      expect(lines.some((line) => line.startsWith(op))).toBe(true);
    }
  });

  it("fs-lock-reused compares one reused name with proper-lockfile", async () => {
    const lines = await probe("--probe fs-lock-reused --n 3 --rounds 1");
    expectFigures(lines);
    expect(lines[0]).toMatch(/proper-lockfile ÷ fs \d/);
  });

  it.skipIf(redisUnavailable !== undefined)(
    "redis-concurrency pairs stowage with every raw ioredis variant",
    async () => {
      const only = "ours,ours-noap,raw,raw-ap,raw-adapter-options,raw-cork,raw-collect,raw-buffer,raw-ap-timeout";
      const lines = await probe("--probe redis-concurrency --url", redis.url, "--n 20 --rounds 1 --c 4 --only", only);
      expectFigures(lines);
      expect(lines.filter((line) => line.startsWith("ours ÷ ")).length).toBe(2 * (only.split(",").length - 1));
      expect(lines.some((line) => /raw-cork get +socket writes\/op \d/.test(line))).toBe(true);
    },
    60_000,
  );

  it.skipIf(redisUnavailable !== undefined)(
    "redis-lock pairs stowage with redlock, raw SET NX and the adapter's own scripts, split and alternating",
    async () => {
      const only = "ours,redlock,raw,raw-script";
      const split = await probe("--probe redis-lock --url", redis.url, "--n 5 --rounds 1 --only", only);
      expectFigures(split);
      expect(split.filter((line) => / release /.test(line) && line.startsWith("ours ÷")).length).toBe(3);
      const pairs = await probe("--probe redis-lock --url", redis.url, "--n 5 --rounds 1 --c 2 --alternate");
      expectFigures(pairs);
      expect(pairs.some((line) => line.startsWith("ours ÷ redlock") && / pair /.test(line))).toBe(true);
    },
    60_000,
  );

  it("sqlite-release-floor times the adapter's release beside a raw UPDATE", async () => {
    const lines = await probe("--probe sqlite-release-floor --n 5 --rounds 1");
    const skipped = lines.find((line) => line.startsWith("skipped the Python subject"));
    if (skipped) console.log(`sqlite-release-floor ran without its Python subject: ${skipped}`);
    expectFigures(lines.filter((line) => line !== skipped && !line.startsWith("paired")));
    expect(lines.some((line) => /^stowage sqlite release +p50 +\d/.test(line))).toBe(true);
    expect(lines.find((line) => line.startsWith("paired"))).toMatch(/stowage ÷ raw UPDATE \d/);
  }, 60_000);

  it("sqlite-seed-reads reads every key it wrote", async () => {
    const lines = await probe("--probe sqlite-seed-reads --n 5 --rounds 2");
    const skipped = lines.find((line) => line.startsWith("skipped the Python subject"));
    if (skipped) console.log(`sqlite-seed-reads ran without its Python subject: ${skipped}`);
    expectFigures(lines.filter((line) => line !== skipped));
    expect(lines.filter((line) => /^(cache_get|checkpoint_load) +stowage \d+ ops\/s/.test(line)).length).toBe(2);
  }, 60_000);

  it("driver-edge prints the raw and wrapped get of memory and SQLite, at the driver and through the store", async () => {
    const lines = await probe("--probe driver-edge --n 20 --rounds 2");
    expectFigures(lines);
    for (const backend of ["memory", "sqlite"]) {
      expect(lines.some((line) => line.startsWith(`${backend} driver get: raw `))).toBe(true);
      expect(
        lines.some((line) => new RegExp(`^${backend} cache get: .* raw ÷ edge per round median \\d`).test(line)),
      ).toBe(true);
    }
  }, 60_000);

  it.skipIf(redisUnavailable !== undefined)(
    "hybrid pairs the two-tier cache with bentocache, cacheable, no bus and plain Redis on every workload",
    async () => {
      const only = "stowage-hybrid,stowage-nobus,redis-only,bentocache,cacheable";
      const lines = await probe("--probe hybrid --url", redis.url, "--n 40 --rounds 1 --only", only);
      expectFigures(lines);
      for (const workload of ["l1-get", "l1-get32", "l2-hit", "miss", "steady"]) {
        expect(
          lines.filter((line) => line.startsWith("stowage-hybrid ÷ ") && line.includes(` ${workload} `)).length,
        ).toBe(4);
      }
      // Every miss reads and writes L2 once; without a bus nothing is published.
      expect(lines.find((line) => line.startsWith("stowage-hybrid ") && line.includes("redis-server"))).toMatch(
        /get=1\.00 .*set=1\.00/,
      );
      expect(lines.find((line) => line.startsWith("stowage-nobus ") && line.includes("redis-server"))).not.toMatch(
        /publish=/,
      );
    },
    60_000,
  );

  it("langgraph-sqlite pairs StowageSaver with SqliteSaver on save, load and WAL frames", async () => {
    const lines = await probe("--probe langgraph-sqlite --n 2 --rounds 2");
    expectFigures(lines);
    const [peer, ours] = lines;
    expect(peer).toMatch(/^SqliteSaver +save \d+\/s, \d+ µs CPU +load \d+\/s, .*WAL frames\/save [1-9]/);
    expect(ours).toMatch(/^StowageSaver +save .*÷ peer: wall \d.*load .*÷ peer: wall \d.*WAL frames\/save [1-9]/);
  }, 60_000);

  it("fs-syscalls counts calls per marked operation in an strace trace", async () => {
    const trace = [
      '7 access("/__mark__/cache_get", F_OK) = -1 ENOENT',
      '7 openat(AT_FDCWD, "/a", O_RDONLY) = 3',
      "7 read(3, ...) = 10",
      '7 openat(AT_FDCWD, "/b", O_RDONLY) = 3',
      '7 access("/__mark__/cache_set", F_OK) = -1 ENOENT',
      "8 rename(...) = 0",
    ].join("\n");
    const counts = syscallsPerOp(trace, 2);
    expect(Object.fromEntries(counts.get("cache_get") ?? [])).toEqual({ openat: 1, read: 0.5, TOTAL: 1.5 });
    expect(Object.fromEntries(counts.get("cache_set") ?? [])).toEqual({ rename: 0.5, TOTAL: 0.5 });
    const file = join(tmpdir(), `stowage-probe-trace-${process.pid}`);
    await writeFile(file, trace);
    expect(await probe("--probe fs-syscalls --trace", file, "--n 2")).toContain(
      `cache_get        openat           1.00`,
    );
  });

  it("lock-release times cycles and waking releases per local backend, and pairs with another checkout", async () => {
    // This checkout as its own baseline: the pairing runs both trees and prints their ratio.
    const here = join(import.meta.dirname, "../..");
    const lines = await probe("--probe lock-release --n 3 --rounds 1 --only sqlite,file --dir", here);
    expectFigures(lines);
    for (const backend of ["sqlite", "file"]) {
      expect(lines.some((line) => line.startsWith(`${backend} this `) && /waking\s+\d/.test(line))).toBe(true);
      expect(lines.some((line) => line.startsWith(`${backend} this ÷ baseline`))).toBe(true);
    }
  });

  it("lists exactly the probes tested above", () => {
    const source = PROBES.map((p) => p.name);
    expect(source).toEqual([
      "fs-op-cost",
      "fs-syscalls",
      "fs-lock-reused",
      "redis-concurrency",
      "redis-lock",
      "sqlite-release-floor",
      "sqlite-seed-reads",
      "lock-release",
      "driver-edge",
      "hybrid",
      "langgraph-sqlite",
    ]);
  });
});

describe("probe arguments", () => {
  it("refuse an unknown probe, subject or count, naming what is allowed", async () => {
    const refusal = (argv: string[]) => {
      try {
        parseProbeArgs(argv);
      } catch (error) {
        if (isStowageError(error, "ERR_CONFIG")) return error.message;
        throw error;
      }
      return "accepted";
    };
    expect(refusal(["--probe", "nope"])).toMatch(/allowed: fs-op-cost/);
    expect(refusal(["--probe", "redis-lock", "--n", "0"])).toMatch(/--n/);
    expect(refusal(["--probe", "redis-concurrency", "--ops", "del"])).toMatch(/allowed: set, get/);
    await expect(probe("--probe redis-lock --url redis://127.0.0.1:9 --only zookeeper")).rejects.toThrow(
      /allowed: ours, redlock/,
    );
  });
});
