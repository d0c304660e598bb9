import type { Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisConnection } from "../src/connection.js";
import { startStandalone, type TestServer } from "../src/testing/index.js";
import { skipWithoutBinary } from "./servers.js";

/** Counts the socket's write and writev calls (each one system call) while `body` runs. */
async function countWrites(client: Redis, body: () => Promise<unknown>): Promise<number> {
  const socket = client.stream as Socket & { _writeGeneric: (...args: unknown[]) => unknown };
  const original = socket._writeGeneric;
  let writes = 0;
  socket._writeGeneric = function counted(this: Socket, ...args: unknown[]) {
    writes++;
    return original.apply(this, args);
  };
  try {
    await body();
  } finally {
    socket._writeGeneric = original;
  }
  return writes;
}

if (!skipWithoutBinary("redis connection batching")) {
  describe("redis connection batching", () => {
    let server: TestServer;
    let client: Redis;

    beforeAll(async () => {
      server = await startStandalone();
      client = new Redis(server.url);
      await client.ping();
    });
    afterAll(async () => {
      client?.disconnect();
      await server?.stop();
    });

    it("sends every command issued in one turn in one write, and each gets its own reply", async () => {
      const connection = new RedisConnection(client, true);
      await client.mset(Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`batch:${i}`, `v${i}`])));
      let replies: (string | null)[] = [];
      const writes = await countWrites(client, async () => {
        replies = await Promise.all(Array.from({ length: 64 }, (_, i) => connection.use((c) => c.get(`batch:${i}`))));
      });
      expect(writes).toBe(1);
      expect(replies).toEqual(Array.from({ length: 64 }, (_, i) => `v${i}`));
    });

    it("callers one at a time each get their reply without waiting on anyone (one write per command)", async () => {
      const connection = new RedisConnection(client, true);
      const writes = await countWrites(client, async () => {
        for (let i = 0; i < 20; i++) await connection.use((c) => c.set(`alone:${i}`, String(i)));
      });
      expect(writes).toBe(20);
      expect(await client.get("alone:19")).toBe("19");
    });

    it("64 callers in loops keep sharing writes: about one write per round, never one per command", async () => {
      const connection = new RedisConnection(client, true);
      let next = 0;
      const loop = async () => {
        while (next < 640) {
          const i = next++;
          await connection.use((c) => c.set(`loop:${i % 64}`, String(i)));
        }
      };
      const writes = await countWrites(client, () => Promise.all(Array.from({ length: 64 }, loop)));
      expect(writes).toBeLessThan(640 / 4);
    });

    it("a turn mixing text and Buffer commands sends them in order in one write, and the socket gets its own write back", async () => {
      const connection = new RedisConnection(client, true);
      const binary = Buffer.from([0, 255, 1, 254, 0xc3, 0x28]);
      const writes = await countWrites(client, () =>
        Promise.all([
          connection.use((c) => c.set("mix:a", "1")),
          connection.use((c) => c.set("mix:b", binary)),
          connection.use((c) => c.set("mix:a", "2")),
          connection.use((c) => c.set("mix:c", "3")),
        ]),
      );
      expect(writes).toBe(1);
      expect(await client.get("mix:a")).toBe("2");
      expect(await client.getBuffer("mix:b")).toEqual(binary);
      expect(await client.get("mix:c")).toBe("3");
      expect(Object.hasOwn(client.stream, "write")).toBe(false);
    });

    it("with pipelining off, each command is its own write", async () => {
      const connection = new RedisConnection(client, false);
      const writes = await countWrites(client, () =>
        Promise.all(Array.from({ length: 16 }, (_, i) => connection.use((c) => c.get(`batch:${i}`)))),
      );
      expect(writes).toBe(16);
    });
  });
}
