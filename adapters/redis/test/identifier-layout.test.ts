import { readFileSync } from "node:fs";
import { checkpointNs, identifier, propertyParameters, shiftedPairs } from "@stowage/conformance";
import { createStorage, type Storage } from "@stowage/core";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, startStandalone, type TestServers } from "../src/testing/index.js";
import { portableUrl, skipWithoutBinary } from "./servers.js";

interface Tuple {
  threadId: string;
  ns: string;
  id: string;
}

/** Every key of every primary, read with SCAN (the test's own look). */
async function allKeys(servers: TestServers): Promise<Buffer[]> {
  const nodes = "nodes" in servers && servers.nodes.length > 0 ? servers.nodes : [];
  const urls = nodes.length > 0 ? nodes.map((node) => `redis://127.0.0.1:${node.port}`) : [servers.url];
  const keys: Buffer[] = [];
  for (const url of urls) {
    const client = new Redis(url);
    try {
      let cursor = "0";
      do {
        const [next, found] = await client.scanBuffer(cursor, "COUNT", 1000);
        cursor = String(next);
        keys.push(...found);
      } while (cursor !== "0");
    } finally {
      client.disconnect();
    }
  }
  return keys;
}

/** Puts one checkpoint per tuple (a blob and a pending write each), then checks each reads back as its own. */
async function putAndCheck(storage: Storage, tuples: readonly Tuple[]): Promise<void> {
  for (const [i, tuple] of tuples.entries()) {
    await storage.checkpoint.put({
      ...tuple,
      payload: { i },
      channels: { [tuple.id]: tuple.ns || "v" },
      blobs: [{ channel: tuple.id, version: tuple.ns || "v", value: i }],
    });
    await storage.checkpoint.putWrites(tuple.threadId, { ns: tuple.ns, checkpointId: tuple.id }, [
      { taskId: tuple.ns || "task", index: 0, channel: tuple.id, value: i },
    ]);
  }
  for (const [i, tuple] of tuples.entries()) {
    const loaded = await storage.checkpoint.get(tuple.threadId, { ns: tuple.ns, id: tuple.id });
    expect(loaded?.payload).toEqual({ i });
    expect(loaded?.channelValues).toEqual({ [tuple.id]: i });
    expect(loaded?.pendingWrites.map((write) => write.value)).toEqual([i]);
    const latest = await storage.checkpoint.get(tuple.threadId, { ns: tuple.ns });
    expect(latest?.id).toBe(tuple.id);
  }
}

const distinct = (tuples: Tuple[]) => new Set(tuples.map((t) => JSON.stringify(t))).size === tuples.length;

function layoutSuite(topology: string, start: () => Promise<TestServers>): void {
  describe(`redis ${topology}: checkpoint identifiers never share a key`, () => {
    let servers: TestServers;
    let storage: Storage;

    beforeAll(async () => {
      servers = await start();
      storage = await createStorage(`${portableUrl(servers.url)}?namespace=ids`);
    });
    afterAll(async () => {
      await storage?.close();
      await servers?.stop();
    });

    it("a thread holding '}:cp:' and an ns holding NUL stay apart from the tuples they spell", async () => {
      const id = "1ef00000-0000-6000-8000-000000000001";
      const tuples: Tuple[] = [
        { threadId: "a", ns: "x}:cp:y", id },
        { threadId: "a}:cp:x", ns: "y", id },
        { threadId: "b", ns: "p", id: "q\0r" },
        { threadId: "b", ns: "p\0q", id: "r" },
        { threadId: "c\0", ns: "", id },
        { threadId: "c", ns: "\0", id },
      ];
      await putAndCheck(storage, tuples);
      await storage.checkpoint.deleteThread("a}:cp:x");
      expect((await storage.checkpoint.get("a", { ns: "x}:cp:y", id }))?.payload).toEqual({ i: 0 });
      expect(await storage.checkpoint.get("a}:cp:x", { ns: "y" })).toBeUndefined();
      for (const threadId of ["a", "b", "c\0", "c"]) await storage.checkpoint.deleteThread(threadId);
    });

    it("fuzzed identifiers round-trip, and deleteThread and prune of one thread never touch another", async () => {
      const tuple = fc.record({ threadId: identifier(), ns: checkpointNs(), id: identifier() });
      const shifted = fc.tuple(shiftedPairs(true), identifier()).map(([[[t1, n1], [t2, n2]], id]) => [
        { threadId: t1, ns: n1, id },
        { threadId: t2, ns: n2, id },
      ]);
      const nsShifted = fc.tuple(shiftedPairs(), identifier()).map(([[[n1, i1], [n2, i2]], threadId]) => [
        { threadId, ns: n1, id: i1 },
        { threadId, ns: n2, id: i2 },
      ]);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.array(tuple, { minLength: 2, maxLength: 3 }), shifted, nsShifted),
          async (tuples) => {
            fc.pre(distinct(tuples));
            await putAndCheck(storage, tuples);
            const [first, ...rest] = tuples as [Tuple, ...Tuple[]];
            await storage.checkpoint.deleteThread(first.threadId);
            expect(await storage.checkpoint.get(first.threadId, { ns: first.ns })).toBeUndefined();
            for (const t of rest) {
              if (t.threadId === first.threadId) continue;
              expect((await storage.checkpoint.get(t.threadId, { ns: t.ns, id: t.id }))?.id).toBe(t.id);
              expect(await storage.checkpoint.prune(t.threadId, { keepLast: 0 })).toBeGreaterThan(0);
            }
            const listed = [];
            for await (const c of storage.checkpoint.list()) listed.push(c);
            expect(listed).toEqual([]);
          },
        ),
        propertyParameters(25),
      );
      // Cluster: a script touching a key outside its thread's slot fails, so the run above proves one slot per thread.
      expect(await allKeys(servers)).toEqual([]);
    });
  });
}

if (!skipWithoutBinary("redis checkpoint identifiers")) {
  layoutSuite("standalone", () => startStandalone());
  layoutSuite("Cluster", () => startCluster(3));

  describe("redis: prefixes, leftovers and the stored layout", () => {
    let server: TestServers;
    beforeAll(async () => {
      server = await startStandalone();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("a prefix holding ':' never lists, clears or shares keys of another store", async () => {
      const outer = await createStorage(`${server.url}?prefix=P&namespace=b`);
      const inner = await createStorage(`${server.url}?prefix=${encodeURIComponent("P:b")}&namespace=c`);
      try {
        await inner.cache.set("x", "inner");
        await outer.cache.set("c:x", "outer");
        expect(await inner.cache.get("x")).toBe("inner");
        await inner.checkpoint.put({ threadId: "t", payload: 1 });
        await (await inner.lock.acquire("job", { ttl: 5_000 })).release();
        await outer.cache.delete("c:x");
        const listed = [];
        for await (const key of outer.cache.keys()) listed.push(key);
        expect(listed).toEqual([]);
        await outer.cache.clear();
        expect(await inner.cache.get("x")).toBe("inner");
        expect((await inner.checkpoint.get("t"))?.payload).toBe(1);
        const fences = (await allKeys(server)).map(String).filter((key) => key.endsWith(":fence"));
        expect(fences).toEqual(["P::b:c:{l:job}:fence"]);
      } finally {
        await outer.close();
        await inner.close();
      }
    });

    it("prune to nothing, deleteThread, clear and release leave only fencing counters behind", async () => {
      const storage = await createStorage(`${server.url}?namespace=leftovers`);
      try {
        await storage.cache.set("k", 1);
        await storage.checkpoint.put({ threadId: "t", id: "1", payload: 1 });
        await storage.checkpoint.putWrites("t", { checkpointId: "1" }, [
          { taskId: "a", index: 0, channel: "c", value: 1 },
        ]);
        await storage.checkpoint.prune("t", { keepLast: 0 });
        await storage.checkpoint.put({ threadId: "u", id: "1", payload: 1 });
        await storage.checkpoint.putWrites("u", { checkpointId: "1" }, [
          { taskId: "a", index: 0, channel: "c", value: 1 },
        ]);
        await storage.checkpoint.deleteThread("u");
        expect(await storage.checkpoint.stats()).toMatchObject({ threads: 0, checkpoints: 0 });
        await (await storage.lock.acquire("job", { ttl: 5_000 })).release();
        await storage.cache.clear();
        const left = (await allKeys(server)).map(String).filter((key) => key.startsWith("stowage:leftovers:"));
        expect(left).toEqual(["stowage:leftovers:{l:job}:fence"]);
      } finally {
        await storage.close();
      }
    });

    it("a store written by the layout before identifier encoding opens and reads after the upgrade", async () => {
      const fixture = JSON.parse(readFileSync(new URL("./fixtures/old-layout.json", import.meta.url), "utf8")) as {
        records: { key: string; pttl: number; dump: string }[];
      };
      const client = new Redis(server.url);
      const fenceOf = (prefix: string) => `${prefix}:old:{l:job:1}:fence`;
      const fences = new Map<string, bigint>();
      try {
        for (const record of fixture.records) {
          const ttl = Math.max(record.pttl, 0);
          await client.restore(Buffer.from(record.key, "base64"), ttl, Buffer.from(record.dump, "base64"), "REPLACE");
        }
        for (const prefix of ["stowage", "app:v1"])
          fences.set(prefix, BigInt((await client.get(fenceOf(prefix))) ?? 0));
      } finally {
        client.disconnect();
      }
      for (const prefix of ["stowage", "app:v1"]) {
        const storage = await createStorage(`${server.url}?prefix=${encodeURIComponent(prefix)}&namespace=old`);
        try {
          expect(await storage.cache.get("plain")).toBe("value 1");
          expect(await storage.cache.get("a:b/c")).toEqual({ nested: [1, 2] });
          const keys = [];
          for await (const key of storage.cache.keys()) keys.push(key);
          expect(keys.sort()).toEqual(["a:b/c", "plain"]);
          const latest = await storage.checkpoint.get("thread-1");
          expect(latest?.id).toBe("1ef00000-0000-6000-8000-000000000002");
          expect(latest?.channelValues).toEqual({ messages: ["hi", "there"] });
          const first = await storage.checkpoint.get("thread-1", { id: "1ef00000-0000-6000-8000-000000000001" });
          expect(first?.pendingWrites.map((write) => write.value)).toEqual(["w0"]);
          expect((await storage.checkpoint.get("thread-1", { ns: "sub" }))?.payload).toBe(3);
          const listed = [];
          for await (const c of storage.checkpoint.list()) listed.push(`${c.ns}/${c.id}`);
          expect(listed).toHaveLength(3);
          // The fencing counter moved with the store: the next token is above every one the old store handed out.
          const lease = await storage.lock.acquire("job:1", { ttl: 5_000 });
          expect(fences.get(prefix)).toBeGreaterThan(0n);
          expect(lease.token).toBeGreaterThan(fences.get(prefix) as bigint);
          await lease.release();
          await storage.checkpoint.deleteThread("thread-1");
          expect(await storage.checkpoint.stats()).toMatchObject({ threads: 0, checkpoints: 0 });
        } finally {
          await storage.close();
        }
      }
    });
  });
}
