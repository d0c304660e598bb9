import { eventually } from "@stowage/conformance/testing";
import { createStorage, isStowageError, newCheckpointId, type Storage } from "@stowage/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startStandalone, type TestServer } from "../src/testing/index.js";
import { skipWithoutBinary } from "./servers.js";

/** Runs `operation` and returns the error it rejects with and how long that took. */
async function failure(operation: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await operation();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error("the operation succeeded while Redis was down");
}

/** Every key of the server, read with SCAN (the test's own look; the adapter never lists the keyspace). */
async function allKeys(url: string): Promise<string[]> {
  const client = new Redis(url);
  try {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await client.scan(cursor, "COUNT", 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== "0");
    return keys;
  } finally {
    client.disconnect();
  }
}

if (!skipWithoutBinary("redis standalone behaviour")) {
  describe("redis standalone behaviour", () => {
    let server: TestServer;
    let storage: Storage;

    beforeAll(async () => {
      server = await startStandalone({ password: "s3cret" });
      storage = await createStorage(`${server.url}?namespace=behaviour&timeout=500`);
    });
    afterAll(async () => {
      await storage?.close();
      await server?.stop();
    });

    it("opening a URL where no server listens fails fast with ERR_BACKEND_UNAVAILABLE", async () => {
      const port = await freePort();
      const { error } = await failure(() => createStorage(`redis://127.0.0.1:${port}?connectTimeout=1000`));
      expect(error).toMatchObject({ code: "ERR_BACKEND_UNAVAILABLE" });
    });

    it("a wrong password is refused", async () => {
      const { error } = await failure(() => createStorage(server.url.replace("s3cret", "wrong")));
      expect(isStowageError(error, "ERR_CONFIG")).toBe(true);
      expect((error as Error).message).toMatch(/refused the credentials.*WRONGPASS/);
    });

    it("with the server stopped every store fails fast with ERR_BACKEND_UNAVAILABLE; restarted, the same store works again", async () => {
      await storage.cache.set("k", "v");
      await server.stop();
      const operations: (() => Promise<unknown>)[] = [
        () => storage.cache.get("k"),
        () => storage.cache.set("k", "w"),
        () => storage.cache.incr("n"),
        () => storage.lock.tryAcquire("job"),
        () => storage.checkpoint.get("thread"),
      ];
      for (const operation of operations) {
        const { error, ms } = await failure(operation);
        expect(error).toMatchObject({ code: "ERR_BACKEND_UNAVAILABLE" });
        // Bounded by the 500 ms command timeout (with slack for a loaded machine), never a hang.
        expect(ms).toBeLessThan(5_000);
      }
      await server.restart();
      // Without persistence the restarted server is empty, but the same store object serves again.
      expect(await eventually(() => storage.cache.get("k"))).toBeUndefined();
      await storage.cache.set("k", "after restart");
      expect(await storage.cache.get("k")).toBe("after restart");
    });

    it("fencing tokens keep rising after a restart without persistence (the counter is lost, the clock floor is not)", async () => {
      const first = await eventually(() => storage.lock.acquire("fenced", { ttl: 5_000 }));
      await first.release();
      await server.restart();
      const second = await eventually(() => storage.lock.acquire("fenced", { ttl: 5_000 }));
      expect(second.token > first.token).toBe(true);
      await second.release();
    });

    it("deleteThread leaves no Redis key of the thread and no index entry", async () => {
      const threadId = "thread-{with}-braces";
      // Inside the hash tag a "}" of the id is written NUL "]" (key-layout.ts).
      const inKeys = threadId.replaceAll("}", "\0]");
      const parents: (string | null)[] = [null];
      for (let i = 0; i < 3; i++) {
        const id = newCheckpointId();
        await storage.checkpoint.put({
          threadId,
          ns: i === 2 ? "sub" : "",
          id,
          parentId: parents[parents.length - 1] ?? null,
          metadata: { step: i },
          payload: { i },
          channels: { messages: i },
          blobs: [{ channel: "messages", version: i, value: [`m${i}`] }],
        });
        parents.push(id);
        await storage.checkpoint.putWrites(threadId, { ns: i === 2 ? "sub" : "", checkpointId: id }, [
          { taskId: "task", index: 0, channel: "c", value: i },
        ]);
      }
      const before = (await allKeys(server.url)).filter((key) => key.includes(inKeys));
      expect(before.length).toBeGreaterThan(3);
      expect(await storage.checkpoint.countThread(threadId)).toBeGreaterThan(0);
      await storage.checkpoint.deleteThread(threadId);
      const after = await allKeys(server.url);
      expect(after.filter((key) => key.includes(inKeys))).toEqual([]);
      const index = new Redis(server.url);
      try {
        const members = await index.zrange("stowage:behaviour:checkpoints", 0, -1);
        expect(members.filter((member) => member.includes(threadId))).toEqual([]);
        expect(await index.sismember("stowage:behaviour:threads", threadId)).toBe(0);
      } finally {
        index.disconnect();
      }
      expect(await storage.checkpoint.countThread(threadId)).toBe(0);
    });
  });
}
