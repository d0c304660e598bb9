import { needsBinaryReason, redisTestAvailability, startStandalone, type TestServer } from "@stowage/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const noBinary = needsBinaryReason(await redisTestAvailability(), "stowage health exit codes");
if (noBinary) console.warn(`[cli] ${noBinary}`);

describe.skipIf(noBinary !== undefined)("stowage health exit codes", () => {
  let server: TestServer;
  beforeAll(async () => {
    // Reachable but unhealthy: the server takes connections and commands, but its PING is renamed away.
    server = await startStandalone({ args: ["--rename-command", "PING", ""] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("a store that is reached but unhealthy exits 1 (README and --help), with each store DOWN and why", async () => {
    const run = await runCli(["health", server.url, "--json"]);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; cache: { ok: boolean; error?: string } };
    expect(report.ok).toBe(false);
    expect(report.cache).toMatchObject({ ok: false, error: expect.stringMatching(/ping/i) });
    const text = await runCli(["health", server.url]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/cache\s+DOWN\s+redis/);
  });

  it("an unreachable store exits 3", async () => {
    const run = await runCli(["health", "redis://127.0.0.1:1?connectTimeout=500", "--json"]);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, code: "ERR_BACKEND_UNAVAILABLE" });
  });
});
