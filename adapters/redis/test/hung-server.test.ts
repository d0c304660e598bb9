import { createStorage, isStowageError, type Storage } from "@stowage/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStandalone, type TestServer } from "../src/testing/index.js";
import { skipWithoutBinary } from "./servers.js";

/**
 * A standalone (or Sentinel) connection bounds its commands with one watchdog timer instead of
 * ioredis's timer per command. A server that stops answering (SIGSTOP: the socket stays open,
 * nothing comes back) must still make every command fail with ERR_BACKEND_UNAVAILABLE rather
 * than hang; without the watchdog these promises never settle and the test times out.
 */
if (!skipWithoutBinary("redis hung server")) {
  describe("redis server that hangs (SIGSTOP)", () => {
    const TIMEOUT_MS = 300;
    let server: TestServer;
    let storage: Storage;
    let pid = 0;
    let stopped = false;

    beforeAll(async () => {
      server = await startStandalone();
      storage = await createStorage({ url: `${server.url}?timeout=${TIMEOUT_MS}`, namespace: "hung" });
      const probe = new Redis(server.url);
      pid = Number(/process_id:(\d+)/.exec(await probe.info("server"))?.[1]);
      probe.disconnect();
      expect(pid).toBeGreaterThan(0);
    });
    afterAll(async () => {
      if (stopped) process.kill(pid, "SIGCONT");
      await storage?.close();
      await server?.stop();
    });

    it("every command fails with ERR_BACKEND_UNAVAILABLE, one at a time and many at once; resumed, the same store works", async () => {
      await storage.cache.set("k", "before");
      const lease = await storage.lock.acquire("job", { ttl: 60_000 });
      process.kill(pid, "SIGSTOP");
      stopped = true;
      const started = performance.now();
      const alone = await Promise.allSettled([storage.cache.get("k")]);
      const together = await Promise.allSettled([
        storage.cache.get("k"),
        storage.cache.set("k", "during"),
        storage.cache.incr("n"),
        storage.lock.tryAcquire("other"),
        lease.extend(60_000),
        storage.checkpoint.get("thread"),
      ]);
      const ms = Math.round(performance.now() - started);
      for (const result of [...alone, ...together]) {
        expect(result.status).toBe("rejected");
        const reason = (result as PromiseRejectedResult).reason;
        expect(isStowageError(reason, "ERR_BACKEND_UNAVAILABLE")).toBe(true);
      }
      console.log(
        `[hung server] 7 commands to a stopped server rejected after ${ms} ms in all (timeout ${TIMEOUT_MS} ms)`,
      );
      process.kill(pid, "SIGCONT");
      stopped = false;
      await storage.cache.set("k", "after");
      expect(await storage.cache.get("k")).toBe("after");
      expect(await lease.release()).toBe(true);
    }, 20_000);
  });
}
