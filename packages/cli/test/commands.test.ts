import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage } from "@stowage/core";
import { redisTestAvailability, startStandalone, type TestServer } from "@stowage/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const availability = await redisTestAvailability();
if (availability.mode === "none") console.log(`[cli] ${availability.reason}`);
const withRedis = availability.mode !== "none";

let dir = "";
let redis: TestServer | undefined;
let redisUrl = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stowage-cli-"));
  if (availability.mode === "url") redisUrl = availability.url;
  else if (withRedis) {
    redis = await startStandalone();
    redisUrl = redis.url;
  }
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Asserts a failed run printed one line naming the problem and no stack trace. */
function expectOneLineError(run: { code: number | null; stderr: string }, code: number, pattern: RegExp) {
  expect(run.code).toBe(code);
  const lines = run.stderr.trim().split("\n");
  expect(lines.length, run.stderr).toBe(1);
  expect(lines[0]).toMatch(/^stowage: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe("stowage demo", () => {
  it("runs the main job on the embedded default (SQLite in ./.stowage/) with nothing configured", async () => {
    const cwd = mkdtempSync(join(dir, "fresh-"));
    const env = { STOWAGE_URL: undefined, CACHE_DIR: undefined, LOCK_DIR: undefined };
    const run = await runCli(["demo"], { cwd, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`sqlite://${cwd}/.stowage/stowage.db`);
    expect(run.stdout).toContain("a second caller was refused while held");
    expect(run.stdout).toContain("records left for the thread: 0");
    expect(run.stdout).toContain("demo finished");
  });

  it.runIf(withRedis)("runs on Redis and prints JSON with --json", async () => {
    const run = await runCli(["demo", redisUrl, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { ok: boolean; steps: unknown[] };
    expect(result.ok).toBe(true);
    expect(result.steps.length).toBe(9);
  });
});

describe("stowage check", () => {
  it("passes the lock contract on SQLite (multi-process tests included) and prints the matrix", async () => {
    const run = await runCli(["check", `sqlite://${dir}/check.db`, "--only", "lock"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // Every test of the run counts under lock (bad input, identifier fuzz included): no cache row.
    expect(run.stdout).toMatch(/lock\s+[1-9]\d+\s+0\s+\d+\s+ok/);
    expect(run.stdout).not.toMatch(/^(cache|checkpoint)\s/m);
    expect(run.stdout).toContain("all promises kept");
    // The whole lock suite in a child process, multi-process groups and model histories included.
  }, 240_000);

  it("--quick runs every group with a few generated cases; STOWAGE_CONFORMANCE_RUNS reaches the generated groups", async () => {
    const quick = await runCli(["check", "memory://", "--only", "cache", "--quick", "--json"]);
    expect(quick.code, quick.stdout + quick.stderr).toBe(0);
    const result = JSON.parse(quick.stdout) as {
      ok: boolean;
      quick: boolean;
      contracts: { cache: { passed: number } };
    };
    expect(result).toMatchObject({ ok: true, quick: true });
    expect(result.contracts.cache.passed).toBeGreaterThan(20);
    // The size check runs with reaches the property groups: a value they refuse fails them, so 3 under --quick is used too.
    const refused = await runCli(["check", "memory://", "--only", "cache", "--json"], {
      env: { STOWAGE_CONFORMANCE_RUNS: "none" },
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("STOWAGE_CONFORMANCE_RUNS must be a positive integer");
  }, 480_000);

  it.runIf(withRedis)(
    "passes the checkpoint and cache contracts on Redis, as JSON, and leaves nothing behind",
    async () => {
      const run = await runCli(["check", redisUrl, "--only", "checkpoint", "--json"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as {
        ok: boolean;
        contracts: Record<string, { passed: number; failed: number }>;
      };
      expect(result.ok).toBe(true);
      expect(result.contracts.checkpoint?.passed).toBeGreaterThan(10);
      expect(result.contracts.checkpoint?.failed).toBe(0);
      const health = JSON.parse((await runCli(["health", redisUrl, "--json", "-n", "default"])).stdout) as {
        checkpoint: { threads: number };
      };
      expect(health.checkpoint.threads).toBe(0);
    },
    300_000,
  );

  it("an unreachable backend fails fast with exit 3 before any test runs", async () => {
    const run = await runCli(["check", "redis://127.0.0.1:1"], { timeoutMs: 30_000 });
    expect(run.code).toBe(3);
    expect(run.stdout + run.stderr).toMatch(/127\.0\.0\.1:1|not reachable|ECONNREFUSED|unavailable/i);
  });
});

describe("stowage health and gc", () => {
  it("health reports each store with what it holds, on SQLite", async () => {
    const url = `sqlite://${dir}/health.db`;
    const storage = await createStorage(url);
    await storage.cache.set("a", 1);
    await storage.checkpoint.put({ threadId: "t", payload: 1 });
    await storage.close();
    const run = await runCli(["health", url, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      cache: { entries: number; backend: string };
      checkpoint: { threads: number };
    };
    expect(report).toMatchObject({ ok: true, cache: { entries: 1, backend: "sqlite" }, checkpoint: { threads: 1 } });
    const text = await runCli(["health", url]);
    expect(text.stdout).toMatch(/cache\s+ok\s+sqlite/);
  });

  it.runIf(withRedis)("health reports the Redis server version", async () => {
    const run = await runCli(["health", redisUrl, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { cache: { version: string } }).cache.version).toMatch(/\d+\.\d+/);
  });

  it("gc removes expired entries and says how many, on SQLite", async () => {
    const url = `sqlite://${dir}/gc.db`;
    const storage = await createStorage(url);
    await storage.cache.setMany(Array.from({ length: 5 }, (_, i) => ({ key: `old${i}`, value: i, ttl: 50 })));
    await storage.cache.set("kept", 1);
    await storage.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const run = await runCli(["gc", url, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { removed: { cache: number } }).removed.cache).toBe(5);
  });

  it.runIf(withRedis)("gc runs on Redis (which expires keys itself)", async () => {
    const run = await runCli(["gc", redisUrl]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/removed \d+ cache entries/);
  });
});

describe("bad input gives one line and a non-zero exit, never a stack trace", () => {
  it("an unknown scheme", async () => {
    expectOneLineError(await runCli(["health", "mongo://x"]), 2, /unknown URL scheme "mongo:"/);
  });

  it("an unreachable host", async () => {
    expectOneLineError(
      await runCli(["health", "redis://127.0.0.1:1"], { timeoutMs: 30_000 }),
      3,
      /127\.0\.0\.1:1|ECONNREFUSED|reach|unavailable/i,
    );
  });

  it.runIf(withRedis)("a wrong password", async () => {
    const url = new URL(redisUrl);
    url.password = "wrong-password";
    url.username = "nobody";
    const run = await runCli(["health", url.href], { timeoutMs: 30_000 });
    expect(run.code).not.toBe(0);
    expectOneLineError(run, run.code as number, /auth|password|WRONGPASS|NOAUTH|denied/i);
  });

  it("an unreadable path", async () => {
    expectOneLineError(await runCli(["health", "sqlite:///etc/passwd/stowage.db"]), 2, /\/etc\/passwd/);
  });

  it("an unknown command, a bad flag value and a missing option", async () => {
    expectOneLineError(await runCli(["frobnicate"]), 2, /unknown command/);
    expectOneLineError(
      await runCli(["check", "memory://", "--only", "cache,queues"]),
      2,
      /--only: must be a comma-separated list of cache, lock, checkpoint/,
    );
    expectOneLineError(await runCli(["migrate", "--from", "memory://"]), 2, /--to/);
  });

  it("--help lists the commands, examples and exit codes", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    for (const word of ["check", "health", "migrate", "gc", "bench", "demo", "Exit codes"])
      expect(run.stdout).toContain(word);
    const migrate = await runCli(["migrate", "--help"]);
    expect(migrate.stdout).toContain("Examples:");
  });
});
