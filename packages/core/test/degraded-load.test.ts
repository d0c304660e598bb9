import { createStorage, isStowageError } from "@stowage/core";
import { needsBinaryReason, redisTestAvailability, startStandalone, type TestServer } from "@stowage/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const availability = await redisTestAvailability();
const skip = needsBinaryReason(availability, "degraded getOrSet (it stops its own redis-server)");
if (skip) console.warn(`[degraded-load] ${skip}`);

describe.skipIf(skip !== undefined)('getOrSet with onBackendUnavailable: "load" on a Redis that is stopped', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startStandalone();
  }, 60_000);
  afterAll(async () => server?.stop());

  it("while the server is down: the loader's value is returned unstored and counted; the default still throws; after the restart values are stored again", async () => {
    const storage = await createStorage(`${server.url}/0?timeout=300&connectTimeout=300`);
    try {
      await storage.cache.set("warm", "cached");
      await server.stop();
      let loads = 0;
      const load = () => {
        loads++;
        return `loaded-${loads}`;
      };
      const refused = await storage.cache.getOrSet("k", load).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isStowageError(refused, "ERR_BACKEND_UNAVAILABLE")).toBe(true);
      expect(loads).toBe(0);
      expect(await storage.cache.getOrSet("k", load, { onBackendUnavailable: "load" })).toBe("loaded-1");
      // Not stored: the next call loads again, and a stored value is not what a degraded call returns.
      expect(await storage.cache.getOrSet("k", load, { onBackendUnavailable: "load" })).toBe("loaded-2");
      expect(await storage.cache.getOrSet("warm", load, { onBackendUnavailable: "load" })).toBe("loaded-3");
      const down = await storage.cache.stats();
      expect(down.degradedLoads).toBe(3);
      expect(down.loads).toBe(3);

      await server.restart();
      let stored = false;
      for (let i = 0; i < 100 && !stored; i++) {
        stored = await storage.cache.set("probe", 1).then(
          () => true,
          () => false,
        );
        if (!stored) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(stored).toBe(true);
      // The restarted server is empty: the load runs, and this time its value is stored.
      expect(await storage.cache.getOrSet("k", load, { onBackendUnavailable: "load" })).toBe("loaded-4");
      expect(await storage.cache.get("k")).toBe("loaded-4");
      expect((await storage.cache.stats()).degradedLoads).toBe(3);
    } finally {
      await storage.close();
    }
  }, 60_000);

  it("a loader that throws while the server is down rejects with its own error, and is not counted as degraded", async () => {
    const storage = await createStorage(`${server.url}/0?timeout=300&connectTimeout=300`);
    try {
      await server.stop();
      const failure = new Error("loader failed");
      await expect(
        storage.cache.getOrSet(
          "x",
          () => {
            throw failure;
          },
          { onBackendUnavailable: "load" },
        ),
      ).rejects.toBe(failure);
      expect((await storage.cache.stats()).degradedLoads).toBe(0);
    } finally {
      await storage.close();
      await server.restart();
    }
  }, 60_000);
});

describe("onBackendUnavailable is checked before any I/O", () => {
  it('a value other than "throw" or "load" is ERR_INVALID_ARGUMENT', async () => {
    const storage = await createStorage("memory://");
    try {
      await expect(
        storage.cache.getOrSet("k", () => 1, { onBackendUnavailable: "store" as never }),
      ).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
      expect(await storage.cache.getOrSet("k", () => 1, { onBackendUnavailable: "load" })).toBe(1);
      expect((await storage.cache.stats()).degradedLoads).toBe(0);
    } finally {
      await storage.close();
    }
  });
});
