import { describeConformance, openByUrl } from "@stowage/conformance";
import { eventually } from "@stowage/conformance/testing";
import { createStorage, sleep } from "@stowage/core";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { startSentinelGroup } from "../src/testing/index.js";
import { portableUrl, skipWithoutBinary } from "./servers.js";

if (!skipWithoutBinary("conformance: redis Sentinel")) {
  const group = await startSentinelGroup();
  afterAll(() => group.stop());
  const url = portableUrl(group.url);

  describe("redis Sentinel failover", () => {
    it("a store opened before a forced failover works again after it, with its data, without being recreated", async () => {
      const storage = await createStorage(`${url}?namespace=failover`);
      try {
        const firstPrimary = await group.currentPrimaryPort();
        await storage.cache.set("before", { written: "before the failover" });
        const lease = await storage.lock.acquire("job", { ttl: 60_000 });
        // Wait until the replica holds what we wrote, so the promoted server has it.
        const replica = new Redis({ port: group.replica.port, host: "127.0.0.1" });
        try {
          while ((await replica.exists("stowage:failover:c:before")) === 0) await sleep(20);
        } finally {
          replica.disconnect();
        }
        await group.failover();
        expect(await group.currentPrimaryPort()).not.toBe(firstPrimary);

        expect(await eventually(() => storage.cache.get("before"))).toEqual({ written: "before the failover" });
        await eventually(() => storage.cache.set("after", 2));
        expect(await storage.cache.get("after")).toBe(2);
        // The lease moved with the data: the name is still held, and the next token is larger.
        expect(await eventually(() => storage.lock.tryAcquire("job"))).toBeUndefined();
        await lease.release();
        const next = await eventually(() => storage.lock.acquire("job", { ttl: 1_000 }));
        expect(next.token > lease.token).toBe(true);
        await next.release();
      } finally {
        await storage.close();
      }
    });
  });

  describeConformance({
    name: "redis Sentinel (after a forced failover)",
    url,
    open: openByUrl(url),
    capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: false },
  });
}
