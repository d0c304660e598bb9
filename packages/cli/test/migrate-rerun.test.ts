import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage } from "@stowage/core";
import { redisTestAvailability, startStandalone, type TestServer } from "@stowage/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli } from "./run-cli.js";

const availability = await redisTestAvailability();
if (availability.mode === "none") console.log(`[cli migrate re-run] ${availability.reason}`);
const withRedis = availability.mode === "binary";

let dir = "";
let redis: TestServer | undefined;
let redisDb = 3;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stowage-migrate-rerun-"));
  if (withRedis) redis = await startStandalone();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh store URL of each kind (a new Redis database per call). */
const urls: Record<string, () => string> = {
  sqlite: () => `sqlite://${mkdtempSync(join(dir, "s-"))}/stowage.db`,
  lmdb: () => `lmdb://${mkdtempSync(join(dir, "l-"))}/store`,
  file: () => `file://${mkdtempSync(join(dir, "f-"))}`,
  redis: () => (redis as TestServer).url.replace(/\/?$/, `/${redisDb++}`),
};

type Report = {
  ok: boolean;
  namespaces: {
    cache: { copied: number; changedOnTarget: number; deletedOnTarget: number; keptTarget: number };
    checkpoint: { copied: number; threadsGrownOnTarget: number };
    lock: unknown;
    verification: Record<string, { match: boolean; differences: Record<string, number> }>;
  }[];
};

async function migrateJson(from: string, to: string, ...extra: string[]): Promise<Report> {
  const run = await runCli(["migrate", "--from", from, "--to", to, "--json", ...extra]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Report;
}

const pairs: [string, string][] = [
  ["sqlite", "file"],
  ["file", "lmdb"],
  ["sqlite", "redis"],
  ["redis", "sqlite"],
  ["lmdb", "redis"],
];
const runnable = (pair: [string, string]) => withRedis || !pair.includes("redis");

describe("stowage migrate re-run after the switch", () => {
  for (const pair of pairs) {
    const [fromKind, toKind] = pair;
    it.runIf(runnable(pair))(
      `${fromKind} → ${toKind}: a re-run never overwrites what the application changed on the target, and reports why each record differs`,
      async () => {
        const from = urls[fromKind]?.() as string;
        const to = urls[toKind]?.() as string;
        const source = await createStorage(from);
        await source.cache.setMany(Array.from({ length: 10 }, (_, i) => ({ key: `item:${i}`, value: `old ${i}` })));
        const first = await source.checkpoint.put({ threadId: "chat", parentId: null, payload: 1, metadata: {} });
        await source.close();
        expect((await migrateJson(from, to)).ok).toBe(true);

        // The application now runs on the target, while a straggler still writes to the source.
        const target = await createStorage(to);
        await target.cache.set("item:7", "new on the target");
        await target.cache.delete("item:3");
        await target.cache.set("item:new", "only on the target");
        const grown = await target.checkpoint.put({ threadId: "chat", parentId: first.id, payload: 2, metadata: {} });
        await target.close();
        const straggler = await createStorage(from);
        await straggler.cache.set("item:8", "updated on the source");
        await straggler.checkpoint.put({ threadId: "chat", parentId: first.id, payload: "stale", metadata: {} });
        await straggler.close();

        const rerun = await migrateJson(from, to);
        const ns = rerun.namespaces[0]!;
        expect(ns.cache).toMatchObject({ copied: 1, changedOnTarget: 1, deletedOnTarget: 1 });
        expect(ns.checkpoint).toMatchObject({ copied: 0, threadsGrownOnTarget: 1 });
        expect(ns.verification.cache?.match).toBe(true);
        expect(ns.verification.cache?.differences).toMatchObject({
          newOnTarget: 1,
          changedOnTarget: 1,
          deletedOnTarget: 1,
        });
        expect(ns.verification.checkpoint?.differences).toMatchObject({ newOnTarget: 1, threadGrownOnTarget: 1 });

        const after = await createStorage(to);
        try {
          expect(await after.cache.get("item:7")).toBe("new on the target");
          expect(await after.cache.get("item:3")).toBeUndefined();
          expect(await after.cache.get("item:new")).toBe("only on the target");
          // Not changed on the target since the copy, so the source's newer value is carried over.
          expect(await after.cache.get("item:8")).toBe("updated on the source");
          expect((await after.checkpoint.get("chat"))?.id).toBe(grown.id);
        } finally {
          await after.close();
        }

        const forced = await migrateJson(from, to, "--source-wins");
        expect(forced.namespaces[0]?.cache.copied).toBe(2);
        const overwritten = await createStorage(to);
        expect(await overwritten.cache.get("item:7")).toBe("old 7");
        await overwritten.close();
      },
      120_000,
    );
  }

  for (const pair of [...pairs, ["redis", "file"] as [string, string], ["lmdb", "sqlite"] as [string, string]]) {
    const [fromKind, toKind] = pair;
    it.runIf(runnable(pair))(
      `${fromKind} → ${toKind}: fencing tokens on the target continue above every token the source handed out`,
      async () => {
        const from = urls[fromKind]?.() as string;
        const to = urls[toKind]?.() as string;
        const source = await createStorage(from);
        let last = 0n;
        for (let i = 0; i < 5; i++) {
          const lease = await source.lock.acquire("job", { ttl: 10_000 });
          last = lease.token;
          await lease.release();
        }
        await source.close();
        const target = await createStorage(to);
        // The target has its own, lower history for the name: it must move up, never down.
        await (await target.lock.acquire("job", { ttl: 10_000 })).release();
        await target.close();
        const report = await migrateJson(from, to, "--only", "lock");
        const locks = report.namespaces[0]?.lock as { raised: number; unchanged: number };
        expect(locks.raised + locks.unchanged).toBe(1);
        const after = await createStorage(to);
        try {
          const lease = await after.lock.acquire("job", { ttl: 10_000 });
          expect(lease.token > last, `token ${lease.token} after migrating, source gave ${last}`).toBe(true);
          await lease.release();
        } finally {
          await after.close();
        }
      },
      60_000,
    );
  }

  it("SIGINT stops at a clean point with how far it got, and a re-run resumes and verifies", async () => {
    const from = urls.sqlite!();
    const to = urls.lmdb!();
    const source = await createStorage(from);
    await source.cache.setMany(Array.from({ length: 2000 }, (_, i) => ({ key: `entry:${i}`, value: i })));
    for (let t = 0; t < 400; t++) {
      await source.checkpoint.put({ threadId: `thread:${t}`, parentId: null, payload: t, metadata: {} });
    }
    await source.close();
    const child = startCli(["migrate", "--from", from, "--to", to, "--batch", "20"]);
    let stdout = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    // Signalled once the copy is under way (the first stage's line is out).
    const end = Date.now() + 60_000;
    while (!stdout.includes("migrating namespace") && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGINT");
    const code = await exited;
    expect(stdout).toMatch(/interrupted after \d+ of 2400; re-run to resume/);
    expect(code).toBe(130);
    const done = Number(/interrupted after (\d+)/.exec(stdout)?.[1]);
    expect(done).toBeLessThan(2400);

    const resumed = await migrateJson(from, to);
    expect(resumed.ok).toBe(true);
    expect(resumed.namespaces[0]?.verification.cache?.match).toBe(true);
    expect(resumed.namespaces[0]?.verification.checkpoint?.match).toBe(true);
    const target = await createStorage(to);
    expect((await target.cache.stats()).entries).toBe(2000);
    expect((await target.checkpoint.stats()).checkpoints).toBe(400);
    await target.close();
  }, 120_000);
});
