import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SERVER = fileURLToPath(new URL("../../../examples/observability/server.mjs", import.meta.url));

/** Starts the example service on a free port and resolves with its base URL once it listens. */
function startService(env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER], { env: { ...process.env, ...env, PORT: "0" } });
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolve({ child, base: match[1] });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the example exited (${code}) before listening:\n${output}`)));
  });
}

describe("examples/observability: a running service shows stowage in OpenTelemetry spans and Prometheus metrics", () => {
  let dir: string;
  let service: { child: ChildProcess; base: string };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "stowage-obs-example-"));
    service = await startService({ STOWAGE_URL: `sqlite://${join(dir, "service.db")}` });
  }, 60_000);
  afterAll(async () => {
    if (service?.child.exitCode === null) {
      const exited = new Promise((resolve) => service.child.once("exit", resolve));
      service.child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string) => {
    const response = await fetch(`${service.base}${path}`, { method });
    return { status: response.status, text: await response.text() };
  };

  it("requests become spans per stowage operation (a refused key an error span) and counters on /metrics", async () => {
    expect((await call("GET", "/models/m1")).status).toBe(200); // miss, load, set
    expect((await call("GET", "/models/m1")).status).toBe(200); // hit
    expect((await call("POST", "/jobs/j1")).status).toBe(200); // lock, checkpoint, incr
    expect((await call("DELETE", "/jobs/j1")).status).toBe(200);
    expect((await call("GET", `/models/${"x".repeat(1100)}`)).status).toBe(400);

    const spans = JSON.parse((await call("GET", "/spans")).text) as {
      name: string;
      status: number;
      attributes: Record<string, string>;
    }[];
    const names = spans.map((span) => span.name);
    for (const name of [
      "stowage.cache.getOrSet",
      "stowage.lock.withLock",
      "stowage.lock.acquire",
      "stowage.checkpoint.put",
      "stowage.cache.incr",
      "stowage.checkpoint.deleteThread",
    ])
      expect(names).toContain(name);
    expect(spans.find((s) => s.name === "stowage.cache.getOrSet")?.attributes).toMatchObject({
      "stowage.store": "cache",
      "stowage.target": "model:m1",
    });
    // Status code 2 is OpenTelemetry's ERROR.
    expect(spans.filter((s) => s.status === 2).map((s) => s.name)).toEqual(["stowage.cache.getOrSet"]);

    const metrics = (await call("GET", "/metrics")).text;
    const value = (line: string) => {
      const found = metrics.split("\n").find((l) => l.startsWith(`${line} `));
      return found === undefined ? undefined : Number(found.slice(line.length + 1));
    };
    expect(value('stowage_cache_hits_total{namespace="default",tier="store"}')).toBe(1);
    expect(value('stowage_cache_misses_total{namespace="default",tier="store"}')).toBe(1);
    expect(value('stowage_cache_sets_total{namespace="default"}')).toBe(2);
    expect(value('stowage_lock_acquisitions_total{namespace="default"}')).toBe(1);
    expect(value('stowage_lock_releases_total{namespace="default"}')).toBe(1);
    expect(value('stowage_checkpoint_puts_total{namespace="default"}')).toBe(1);
    expect(value('stowage_checkpoint_thread_deletes_total{namespace="default"}')).toBe(1);
    expect(value('stowage_operation_duration_seconds_count{store="cache",operation="getOrSet",outcome="ok"}')).toBe(2);
    expect(value('stowage_operation_duration_seconds_count{store="cache",operation="getOrSet",outcome="error"}')).toBe(
      1,
    );

    const stats = JSON.parse((await call("GET", "/stats")).text);
    expect(stats.lock).toMatchObject({ acquisitions: 1, releases: 1, lost: 0, timeouts: 0 });
    expect(stats.cache.operations.getOrSet.count).toBe(3);
  });
});
