import { createStorage, newCheckpointId, type Storage } from "@stowage/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestServers } from "../src/testing/index.js";
import { portableUrl, scanKeys, skipWithoutBinary } from "./servers.js";

/** Keys held by each primary, read with SCAN on each (the test's own look). */
async function keysPerPrimary(servers: TestServers): Promise<string[][]> {
  return Promise.all(servers.nodes.map(async (node) => (await scanKeys(`redis://127.0.0.1:${node.port}`)).map(String)));
}

async function slotOf(servers: TestServers, key: string): Promise<number> {
  const client = new Redis({ port: (servers.nodes[0] as { port: number }).port, host: "127.0.0.1" });
  try {
    return Number(await client.cluster("KEYSLOT", key));
  } finally {
    client.disconnect();
  }
}

if (!skipWithoutBinary("redis Cluster key layout")) {
  describe("redis Cluster key layout", () => {
    let cluster: TestServers;
    let storage: Storage;

    beforeAll(async () => {
      cluster = await startCluster(3);
      storage = await createStorage(`${portableUrl(cluster.url)}?namespace=layout`);
    });
    afterAll(async () => {
      await storage?.close();
      await cluster?.stop();
    });

    it("a lock's lease and fencing counter share a slot, also when the name holds braces", async () => {
      for (const name of ["job", "a}b", "}x{", "{tag}"]) {
        const lease = await storage.lock.acquire(name, { ttl: 5_000 });
        const leaseKey = `stowage:layout:{l:${name}}`;
        expect(await slotOf(cluster, leaseKey)).toBe(await slotOf(cluster, `${leaseKey}:fence`));
        await lease.release();
      }
    });

    it("every key of a thread sits in one slot", async () => {
      const threadId = "agent-run-}7";
      // The id's "}" is written NUL "]" inside the tag (key-layout.ts), so the tag ends where the id does.
      const tag = "{t:agent-run-\0]7}";
      let parentId: string | null = null;
      for (const ns of ["", "child"]) {
        for (let i = 0; i < 3; i++) {
          const id = newCheckpointId();
          await storage.checkpoint.put({
            threadId,
            ns,
            id,
            parentId,
            payload: { i },
            channels: { messages: i },
            blobs: [{ channel: "messages", version: i, value: i }],
          });
          await storage.checkpoint.putWrites(threadId, { ns, checkpointId: id }, [
            { taskId: "t", index: 0, channel: "c", value: i },
          ]);
          parentId = id;
        }
      }
      const threadKeys = (await keysPerPrimary(cluster)).flat().filter((key) => key.includes(tag));
      expect(threadKeys.length).toBeGreaterThan(6);
      const slots = new Set(await Promise.all(threadKeys.map((key) => slotOf(cluster, key))));
      expect(slots.size).toBe(1);
      await storage.checkpoint.deleteThread(threadId);
      expect((await keysPerPrimary(cluster)).flat().filter((key) => key.includes(tag))).toEqual([]);
    });

    it("keys() and clear() reach the entries on every primary, and clear() only its namespace", async () => {
      const other = await createStorage(`${portableUrl(cluster.url)}?namespace=layout-other`);
      try {
        await other.cache.set("kept", 1);
        await storage.cache.setMany(Array.from({ length: 300 }, (_, i) => ({ key: `entry:${i}`, value: i })));
        const perPrimary = (await keysPerPrimary(cluster)).map(
          (keys) => keys.filter((key) => key.startsWith("stowage:layout:c:")).length,
        );
        expect(perPrimary.every((count) => count > 0)).toBe(true);
        const seen: string[] = [];
        for await (const key of storage.cache.keys("entry:")) seen.push(key);
        expect(seen.sort()).toEqual(Array.from({ length: 300 }, (_, i) => `entry:${i}`).sort());
        await storage.cache.clear();
        const left = (await keysPerPrimary(cluster)).flat().filter((key) => key.startsWith("stowage:layout:c:"));
        expect(left).toEqual([]);
        expect(await other.cache.get("kept")).toBe(1);
      } finally {
        await other.cache.clear();
        await other.close();
      }
    });
  });
}
