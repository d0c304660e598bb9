import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage, LockStore, type Storage } from "@stowage/core";
import { redisTestAvailability, startStandalone, type TestServer } from "@stowage/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const availability = await redisTestAvailability();
if (availability.mode === "none") console.log(`[fencing counters] ${availability.reason}`);

let dir = "";
let redis: TestServer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stowage-fences-"));
  if (availability.mode === "binary") redis = await startStandalone();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const backends: Record<string, () => string> = {
  memory: () => `memory://fences-${Math.random()}`,
  sqlite: () => `sqlite://${mkdtempSync(join(dir, "s-"))}/stowage.db`,
  lmdb: () => `lmdb://${mkdtempSync(join(dir, "l-"))}/store`,
  file: () => `file://${mkdtempSync(join(dir, "f-"))}`,
  redis: () => `${(redis as TestServer).url.replace(/\/?$/, "/9")}`,
};

function lockDriver(storage: Storage) {
  if (!(storage.lock instanceof LockStore)) throw new Error("not a core lock store");
  return storage.lock.driver;
}

async function counters(storage: Storage): Promise<Map<string, bigint>> {
  const found = new Map<string, bigint>();
  for await (const { name, token } of lockDriver(storage).fencingCounters?.() ?? []) found.set(name, token);
  return found;
}

describe("fencing counters through the lock driver (what stowage migrate carries over)", () => {
  for (const [kind, url] of Object.entries(backends)) {
    it.runIf(kind !== "redis" || availability.mode === "binary")(
      `${kind}: listed per name, raised but never lowered, and the next token is above the raised counter`,
      async () => {
        const storage = await createStorage({ url: url(), namespace: `fences-${kind}` });
        try {
          const driver = lockDriver(storage);
          // Names whose characters a layout could confuse with its separators.
          const names = ["job", "a}:fence", "x/y", "{l:z}", "ünï"];
          for (const name of names) await (await storage.lock.acquire(name, { ttl: 5_000 })).release();
          const listed = await counters(storage);
          expect([...listed.keys()].sort()).toEqual([...names].sort());
          const job = listed.get("job") as bigint;

          const high = job + 1_000_000n;
          expect(await driver.raiseFence?.("job", high)).toBe(high);
          expect(await driver.raiseFence?.("job", 5n)).toBe(high); // never lowered
          expect(await driver.raiseFence?.("never-used", 42n)).toBe(42n);
          const lease = await storage.lock.acquire("job", { ttl: 5_000 });
          expect(lease.token > high).toBe(true);
          // A held lease stays its holder's: raising leaves it alone, or (file, sqlite: the counter is the lease's token) is refused until it is released.
          const raised = await driver.raiseFence?.("job", lease.token + 10n);
          expect(await storage.lock.tryAcquire("job", { ttl: 5_000 })).toBeUndefined();
          expect(await lease.release()).toBe(true);
          if (raised === undefined) expect(["file", "sqlite"]).toContain(kind);
          else expect((await storage.lock.acquire("job", { ttl: 5_000 })).token > lease.token + 10n).toBe(true);
          expect(await driver.raiseFence?.("job", lease.token + 20n)).toBe(lease.token + 20n);
          expect((await counters(storage)).get("never-used")).toBeGreaterThanOrEqual(42n);
        } finally {
          await storage.close();
        }
      },
      60_000,
    );
  }
});
