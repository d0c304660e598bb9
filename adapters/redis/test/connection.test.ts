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

    it("a turn mixing text and Buffer commands keeps their order, and the socket gets its own write back", async () => {
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
      // The short texts before the Buffer, the Buffer, the short texts after it.
      expect(writes).toBeLessThanOrEqual(3);
      expect(await client.get("mix:a")).toBe("2");
      expect(await client.getBuffer("mix:b")).toEqual(binary);
      expect(await client.get("mix:c")).toBe("3");
      expect(Object.hasOwn(client.stream, "write")).toBe(false);
    });

    it("a command carrying a long value goes to the socket at once, not held until the turn ends", async () => {
      const connection = new RedisConnection(client, true);
      const long = "v".repeat(10_000);
      let writtenDuringCall = -1;
      const writes = await countWrites(client, async () => {
        const before = connection.use((c) => c.set("long:a", "short"));
        let counted = 0;
        const socket = client.stream as Socket & { _writeGeneric: (...args: unknown[]) => unknown };
        const counting = socket._writeGeneric;
        socket._writeGeneric = function once(this: Socket, ...args: unknown[]) {
          counted++;
          return counting.apply(this, args);
        };
        const set = connection.use((c) => c.set("long:b", long));
        writtenDuringCall = counted;
        socket._writeGeneric = counting;
        await Promise.all([before, set]);
      });
      // The joined short text before it, then the long command itself, both inside the call.
      expect(writtenDuringCall).toBe(2);
      expect(writes).toBe(2);
      expect(await client.get("long:a")).toBe("short");
      expect(await client.get("long:b")).toBe(long);
    });

    it("random mixes of short, long and Buffer commands in one turn all land, in order per key", async () => {
      const connection = new RedisConnection(client, true);
      for (let round = 0; round < 20; round++) {
        const sizes = Array.from(
          { length: 40 },
          () => [1, 500, 1024, 1025, 5000][Math.floor(Math.random() * 5)] as number,
        );
        const values = sizes.map((size, i) => (i % 7 === 3 ? Buffer.alloc(size, i % 251) : `${i}:`.padEnd(size, "x")));
        await Promise.all(values.map((value, i) => connection.use((c) => c.set(`rand:${i % 5}`, value))));
        for (let k = 0; k < 5; k++) {
          const last = values.findLast((_, i) => i % 5 === k);
          expect(await client.getBuffer(`rand:${k}`)).toEqual(Buffer.from(last as string | Buffer));
        }
      }
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
