import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitingCommands } from "../src/command-watchdog.js";
import { startStandalone, type TestServer } from "../src/testing/index.js";
import { skipWithoutBinary } from "./servers.js";

// The adapter relies on two private behaviours of ioredis (command-watchdog.ts, socket-batcher.ts).
// These tests fail loudly when an ioredis upgrade changes them, before the adapter silently misbehaves.
const require = createRequire(import.meta.url);
const installed = (require("ioredis/package.json") as { version: string }).version;
const lock = JSON.parse(readFileSync(new URL("../../../package-lock.json", import.meta.url), "utf8")) as {
  packages: Record<string, { version?: string }>;
};
const pinned = lock.packages["node_modules/ioredis"]?.version;

if (!skipWithoutBinary("ioredis internals")) {
  describe(`ioredis internals the redis adapter relies on (installed ${installed}, pinned ${pinned})`, () => {
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

    it("the installed ioredis is the version package-lock pins (re-check these internals on upgrade)", () => {
      expect(installed).toBe(pinned);
    });

    it("commandQueue holds each written command, oldest first, until its reply, and its reject fails the caller", async () => {
      const queue = waitingCommands(client);
      expect(queue).toBeDefined();
      expect(typeof queue?.peekFront).toBe("function");
      expect(typeof queue?.toArray).toBe("function");
      const blocked = client.blpop("internals:never", 0);
      const second = client.get("internals:x");
      expect(queue?.length).toBe(2);
      const [first, next] = queue?.toArray() ?? [];
      expect(queue?.peekFront()?.command).toBe(first?.command);
      first?.command.reject(new Error("Command timed out"));
      next?.command.reject(new Error("Command timed out"));
      await expect(blocked).rejects.toThrow("Command timed out");
      await expect(second).rejects.toThrow("Command timed out");
      // The replies still line up: unblock the BLPOP on a fresh connection and go on.
      const other = new Redis(server.url);
      await other.rpush("internals:never", "1");
      other.disconnect();
      client.disconnect();
      client = new Redis(server.url);
      await client.ping();
    });

    it("a command of strings reaches stream.write as one string, a command with a Buffer as Buffers, synchronously", () => {
      const stream = client.stream as Writable;
      const seen: unknown[] = [];
      stream.write = ((chunk: unknown) => {
        seen.push(chunk);
        return true;
      }) as Writable["write"];
      let pending: Promise<unknown>[] = [];
      try {
        pending = [client.set("internals:s", "text"), client.set("internals:b", Buffer.from([0, 1]))];
      } finally {
        delete (stream as { write?: unknown }).write;
      }
      expect(typeof seen[0]).toBe("string");
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen.slice(1).every((chunk) => Buffer.isBuffer(chunk) || typeof chunk === "string")).toBe(true);
      // Send what was held so the commands complete.
      for (const chunk of seen) stream.write(chunk as string);
      return Promise.all(pending);
    });
  });
}
