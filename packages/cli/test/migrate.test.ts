import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "@stowage/conformance/testing";
import { createStorage, type Storage } from "@stowage/core";
import { redisTestAvailability, startStandalone, type TestServer } from "@stowage/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli } from "./run-cli.js";

const availability = await redisTestAvailability();
if (availability.mode === "none") console.log(`[cli migrate] ${availability.reason}`);
const withRedis = availability.mode === "binary";

const ENTRIES = 3000;
const EXPIRING = 100;
const THREADS = 300;
const PER_THREAD = 4;

let dir = "";
let redis: TestServer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stowage-migrate-"));
  if (withRedis) redis = await startStandalone();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Fills a source with cache entries (some about to expire, some with a long TTL) and threads of checkpoints with blobs and writes. */
async function fill(url: string): Promise<void> {
  const storage = await createStorage(url);
  try {
    await storage.cache.setMany(
      Array.from({ length: ENTRIES }, (_, i) => ({
        key: `entry:${i}`,
        value: { i, text: "x".repeat(100) },
        ...(i % 3 === 0 ? { ttl: 3_600_000 } : {}),
      })),
    );
    await storage.cache.setMany(
      Array.from({ length: EXPIRING }, (_, i) => ({ key: `expiring:${i}`, value: i, ttl: 1 })),
    );
    for (let t = 0; t < THREADS; t++) {
      let parentId: string | null = null;
      for (let c = 0; c < PER_THREAD; c++) {
        const { id }: { id: string } = await storage.checkpoint.put({
          threadId: `thread:${t}`,
          ns: c % 2 ? "sub" : "",
          parentId,
          payload: { t, c },
          metadata: { step: c },
          channels: { messages: c },
          blobs: [{ channel: "messages", version: c, value: [`m${t}.${c}`] }],
        });
        await storage.checkpoint.putWrites(`thread:${t}`, { ns: c % 2 ? "sub" : "", checkpointId: id }, [
          { taskId: "task", index: 0, channel: "out", value: c },
          { taskId: "task", index: -1, channel: "__error__", value: "e" },
        ]);
        parentId = id;
      }
    }
  } finally {
    await storage.close();
  }
}

/** Migrates, SIGKILLs the command half way through the checkpoints, runs it again, and checks the result. */
async function interruptedMigration(from: string, to: string): Promise<void> {
  await fill(from);
  await new Promise((resolve) => setTimeout(resolve, 20)); // let the 1 ms entries expire
  const target = await createStorage(to);
  let source: Storage | undefined;
  try {
    const child = startCli(["migrate", "--from", from, "--to", to, "--batch", "100"]);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await waitUntil(
      "a quarter of the checkpoints in the target",
      async () => (await target.checkpoint.stats()).checkpoints >= (THREADS * PER_THREAD) / 4,
      120_000,
    );
    child.kill("SIGKILL");
    await exited;
    const atKill = (await target.checkpoint.stats()).checkpoints;
    expect(atKill, "the command finished before it could be interrupted").toBeLessThan(THREADS * PER_THREAD);

    const resumed = await runCli(["migrate", "--from", from, "--to", to, "--json"]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout) as {
      ok: boolean;
      namespaces: {
        cache: { copied: number; unchanged: number };
        checkpoint: { unchanged: number; threads: number };
        verification: Record<string, { match: boolean; source: { count: number } }>;
      }[];
    };
    expect(report.ok).toBe(true);
    const ns = report.namespaces[0]!;
    expect(ns.cache.unchanged, "the resumed run rewrote entries that were already copied").toBe(ENTRIES);
    expect(ns.checkpoint.unchanged).toBeGreaterThanOrEqual(atKill - 1);
    expect(ns.checkpoint.threads).toBe(THREADS);
    expect(ns.verification.cache?.match).toBe(true);
    expect(ns.verification.cache?.source.count).toBe(ENTRIES);
    expect(ns.verification.checkpoint?.match).toBe(true);

    source = await createStorage(from);
    // Nothing lost, nothing duplicated, expired entries not copied, TTLs carried over.
    expect((await target.cache.stats()).entries).toBe(ENTRIES);
    expect(await target.cache.get("entry:2999")).toEqual({ i: 2999, text: "x".repeat(100) });
    expect(await target.cache.get("expiring:0")).toBeUndefined();
    const ttl = (await target.cache.ttl("entry:0")) as number;
    expect(ttl).toBeGreaterThan(3_000_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    expect(await target.cache.ttl("entry:1")).toBe(Number.POSITIVE_INFINITY);
    expect(await target.checkpoint.stats()).toMatchObject({ threads: THREADS, checkpoints: THREADS * PER_THREAD });
    for (const threadId of ["thread:0", "thread:150", "thread:299"]) {
      const [a, b] = await Promise.all([
        source.checkpoint.get(threadId, { ns: "sub" }),
        target.checkpoint.get(threadId, { ns: "sub" }),
      ]);
      expect(b).toEqual(a);
      expect(b?.pendingWrites.length).toBe(2);
    }
    const again = await runCli(["migrate", "--from", from, "--to", to, "--json"]);
    expect(
      (JSON.parse(again.stdout) as { namespaces: { cache: { copied: number }; checkpoint: { copied: number } }[] })
        .namespaces[0],
    ).toMatchObject({
      cache: { copied: 0 },
      checkpoint: { copied: 0 },
    });
  } finally {
    await Promise.allSettled([target.close(), source?.close()]);
  }
}

describe("stowage migrate", () => {
  it.runIf(withRedis)(
    "SQLite → Redis: interrupted with SIGKILL half way, resumed, nothing lost or duplicated, expired entries not copied",
    async () => {
      await interruptedMigration(`sqlite://${dir}/source.db`, redis!.url.replace(/\/?$/, "/1"));
    },
    300_000,
  );

  it.runIf(withRedis)(
    "Redis → LMDB: interrupted with SIGKILL half way, resumed, nothing lost or duplicated",
    async () => {
      await interruptedMigration(redis!.url.replace(/\/?$/, "/2"), `lmdb://${dir}/target-lmdb`);
    },
    300_000,
  );

  it("--dry-run counts what would be copied and writes nothing", async () => {
    const from = `sqlite://${dir}/dry-source.db`;
    const to = `sqlite://${dir}/dry-target.db`;
    const source = await createStorage(from);
    await source.cache.setMany([1, 2, 3].map((i) => ({ key: `k${i}`, value: i })));
    await source.close();
    const run = await runCli(["migrate", "--from", from, "--to", to, "--dry-run", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(
      (JSON.parse(run.stdout) as { namespaces: { cache: { copied: number } }[] }).namespaces[0]?.cache.copied,
    ).toBe(3);
    const target = await createStorage(to);
    expect((await target.cache.stats()).entries).toBe(0);
    await target.close();
  });

  it("a key only the target holds is reported as new on the target, not as a failed verification", async () => {
    const from = `sqlite://${dir}/v-source.db`;
    const to = `sqlite://${dir}/v-target.db`;
    const [source, target] = await Promise.all([createStorage(from), createStorage(to)]);
    await source.cache.set("a", 1);
    await target.cache.set("stranger", 2);
    await Promise.all([source.close(), target.close()]);
    const run = await runCli(["migrate", "--from", from, "--to", to, "--only", "cache"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("1 newOnTarget");
    expect(run.stdout).toContain("newOnTarget: stranger");
  });
});
