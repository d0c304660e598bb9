import { createStorage, isStowageError, type Storage, sleep } from "@stowage/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisProcess, startPrimaries, type TestServers } from "../src/testing/index.js";
import { portableUrl, skipWithoutBinary } from "./servers.js";

/** Waits until every running primary answers the store again (clients reconnect by themselves). */
async function settled(storage: Storage, name: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const lease = await storage.lock.tryAcquire(name, { ttl: 1_000 });
      if (lease) {
        await lease.release();
        return;
      }
    } catch (error) {
      if (!isStowageError(error, "ERR_BACKEND_UNAVAILABLE") || Date.now() > deadline) throw error;
    }
    await sleep(100);
  }
}

if (!skipWithoutBinary("redlock")) {
  describe("redlock over 3 independent primaries", () => {
    let primaries: TestServers;
    let alice: Storage;
    let bob: Storage;
    const node = (i: number) => primaries.nodes[i] as RedisProcess;

    beforeAll(async () => {
      primaries = await startPrimaries(3);
      const url = `${portableUrl(primaries.url)}?namespace=redlock&timeout=2000`;
      alice = await createStorage(url);
      bob = await createStorage(url);
    });
    afterAll(async () => {
      await alice?.close();
      await bob?.close();
      await primaries?.stop();
    });

    it("with 1 of 3 primaries stopped, locks are still granted and exclusive", async () => {
      await node(0).stop();
      const lease = await alice.lock.acquire("one-down", { ttl: 10_000, waitMs: 5_000 });
      expect(await bob.lock.tryAcquire("one-down")).toBeUndefined();
      await expect(bob.lock.acquire("one-down", { waitMs: 300 })).rejects.toMatchObject({ code: "ERR_LOCK_TIMEOUT" });
      expect(await lease.release()).toBe(true);
      const next = await bob.lock.acquire("one-down", { ttl: 10_000, waitMs: 5_000 });
      expect(next.token > lease.token).toBe(true);
      await next.release();
      await node(0).restart();
    });

    it("with 2 of 3 primaries stopped, tryAcquire fails at once and acquire fails with ERR_BACKEND_UNAVAILABLE when waitMs runs out, holding nothing", async () => {
      await settled(alice, "two-down");
      await node(1).stop();
      await node(2).stop();
      let started = performance.now();
      await expect(alice.lock.tryAcquire("two-down", { ttl: 10_000 })).rejects.toMatchObject({
        code: "ERR_BACKEND_UNAVAILABLE",
      });
      expect(performance.now() - started).toBeLessThan(5_000);
      started = performance.now();
      await expect(alice.lock.acquire("two-down", { ttl: 10_000, waitMs: 1_000 })).rejects.toMatchObject({
        code: "ERR_BACKEND_UNAVAILABLE",
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
      await node(1).restart();
      await node(2).restart();
      // The failed attempts left no claim behind on the primary that answered: the name is free at once.
      const lease = await bob.lock.acquire("two-down", { ttl: 5_000, waitMs: 8_000 }); // < the 10 s claim ttl
      expect(await alice.lock.tryAcquire("two-down")).toBeUndefined();
      await lease.release();
    });

    it("an acquire started while the primaries restart keeps trying through the reconnect and gets the lease", async () => {
      await settled(alice, "restarting");
      await node(1).stop();
      await node(2).stop();
      const pending = alice.lock.acquire("restarting", { ttl: 5_000, waitMs: 15_000 });
      await sleep(300);
      await node(1).restart();
      await node(2).restart();
      const lease = await pending;
      expect(lease.held).toBe(true);
      await lease.release();
    });

    it("fencing tokens rise strictly with primaries stopped and restarted empty between acquisitions", async () => {
      const name = "fenced";
      await settled(alice, name);
      // Start every counter above the clock floor, so only the majority rule can make tokens rise.
      const history = 5_000_000_000_000_000n;
      await Promise.all(
        primaries.nodes.map(async (primary) => {
          const client = new Redis({ port: primary.port, host: "127.0.0.1" });
          await client.set(`stowage:redlock:{l:${name}}:fence`, history.toString());
          client.disconnect();
        }),
      );
      const tokens: bigint[] = [];
      const acquireOnce = async () => {
        const lease = await alice.lock.acquire(name, { ttl: 10_000, waitMs: 10_000 });
        tokens.push(lease.token);
        await lease.release();
      };
      await acquireOnce(); // all three up
      await node(0).stop();
      await acquireOnce(); // majority {1, 2}
      await node(0).restart(); // back empty
      await node(1).stop();
      // No warm-up: the acquire itself keeps trying while alice's client for 0 reconnects.
      await acquireOnce(); // majority {0 (empty), 2}: 2 remembers the last token
      await node(1).restart(); // back empty
      await node(2).stop();
      await acquireOnce(); // majority {0, 1 (empty)}: 0 learnt the last token in the previous round
      await node(2).restart();
      for (let i = 1; i < tokens.length; i++) expect(tokens[i] as bigint).toBe((tokens[i - 1] as bigint) + 1n);
      expect(tokens[0]).toBe(history + 1n);
    });
  });
}
