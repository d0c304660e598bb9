import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { startDockerRedis } from "../src/testing/index.js";

const run = promisify(execFile);
const AVAILABILITY = new URL("../dist/testing/availability.js", import.meta.url).href;
const bin = mkdtempSync(join(tmpdir(), "stowage-avail-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

/** A PATH holding only a fake `docker` that exits with `code`, so redis-server is not found. */
function pathWithDocker(code: number | undefined): string {
  const dir = mkdtempSync(join(bin, "path-"));
  if (code !== undefined) {
    writeFileSync(join(dir, "docker"), `#!/bin/sh\nexit ${code}\n`);
    chmodSync(join(dir, "docker"), 0o755);
  }
  return dir;
}

/** Runs detection in a child with this environment; returns what it printed, or the error it threw. */
async function detect(env: Record<string, string>): Promise<{ result?: unknown; error?: string }> {
  const script = `import(${JSON.stringify(AVAILABILITY)}).then((m) => m.redisTestAvailability())
    .then((r) => console.log(JSON.stringify({ result: r })), (e) => console.log(JSON.stringify({ error: e.message })))`;
  const clean = { ...process.env };
  delete clean.REDIS_URL;
  delete clean.CI;
  const { stdout } = await run(process.execPath, ["-e", script], {
    env: { ...clean, TESTCONTAINERS_RYUK_DISABLED: "true", ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
}

describe("where Redis tests get their server (DESIGN's order)", () => {
  it("REDIS_URL comes first", async () => {
    const out = await detect({ PATH: pathWithDocker(0), REDIS_URL: "redis://127.0.0.1:1" });
    expect(out.result).toEqual({ mode: "url", url: "redis://127.0.0.1:1", binary: false, source: "REDIS_URL" });
  });

  it("with no REDIS_URL, no redis-server and no Docker engine, tests skip with one line naming all three", async () => {
    const out = await detect({ PATH: pathWithDocker(1) });
    expect(out.result).toMatchObject({ mode: "none", binary: false });
    expect((out.result as { reason: string }).reason).toMatch(
      /no REDIS_URL, no redis-server on PATH, and no Docker engine/,
    );
  });

  it("under CI the same situation is a failure, not a skip", async () => {
    const out = await detect({ PATH: pathWithDocker(undefined), CI: "true" });
    expect(out.error).toMatch(/CI is set, so this is a failure/);
  });

  it("when a Docker engine answers, testcontainers is asked for a container, and its failure names Docker", async () => {
    // `docker info` answers, but the engine's socket does not exist: testcontainers must be the one that fails.
    const out = await detect({ PATH: pathWithDocker(0), DOCKER_HOST: `unix://${join(bin, "no-such.sock")}` });
    expect(out.error).toMatch(/a Docker engine answers but the Redis container \(redis:7\.2-alpine\) did not start/);
  });
});

const engine = await run("docker", ["info"], { timeout: 5_000 }).then(
  () => undefined,
  () => "no Docker engine answers `docker info` on this machine",
);
if (engine) console.warn(`[redis] the real testcontainers start is skipped: ${engine}`);

describe("testcontainers on a real Docker engine", () => {
  it.skipIf(engine)(engine ? `skipped: ${engine}` : "starts a Redis container that answers PING", async () => {
    const url = await startDockerRedis();
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      expect(await client.ping()).toBe("PONG");
    } finally {
      client.disconnect();
    }
  });
});
