import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createFsStorage } from "../src/index.js";

interface Manifest {
  namespace: string;
  cache: Record<string, unknown>;
  ttlKey: { key: string; value: unknown };
  counter: { key: string; value: number };
  checkpoints: {
    threadId: string;
    ns: string;
    id: string;
    parentId: string | null;
    metadata: Record<string, unknown>;
    payload: unknown;
    channels: Record<string, string | number>;
    blobs: { channel: string; version: string | number; value: unknown }[];
    writes: { taskId: string; index: number; channel: string; value: unknown }[];
  }[];
  lock: { name: string; released: number };
}

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const manifest = JSON.parse(readFileSync(join(fixtures, "store-v1.json"), "utf8")) as Manifest;
const root = mkdtempSync(join(tmpdir(), "stowage-fs-format-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the committed store (written by fixtures/write-format-fixture.mjs before checksums), so tests never change it. */
function copyOfOldStore(name: string): string {
  const dir = join(root, name);
  cpSync(join(fixtures, "store-v1"), dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

describe("fs: a store written before checksums", () => {
  it("opens and reads every cache entry, checkpoint, blob, pending write and lock it holds", async () => {
    const storage = createFsStorage({ dir: copyOfOldStore("read"), namespace: manifest.namespace, sweepEveryMs: 0 });
    try {
      for (const [key, value] of Object.entries(manifest.cache))
        expect(await storage.cache.get(key), key).toEqual(value);
      expect(await storage.cache.get(manifest.ttlKey.key)).toEqual(manifest.ttlKey.value);
      expect(await storage.cache.get(manifest.counter.key)).toBe(manifest.counter.value);
      const keys: string[] = [];
      for await (const key of storage.cache.keys()) keys.push(key);
      expect(keys.sort()).toEqual([...Object.keys(manifest.cache), manifest.ttlKey.key, manifest.counter.key].sort());
      for (const written of manifest.checkpoints) {
        const read = await storage.checkpoint.get(written.threadId, { ns: written.ns, id: written.id });
        expect(read).toMatchObject({
          id: written.id,
          parentId: written.parentId,
          metadata: written.metadata,
          payload: written.payload,
          channels: written.channels,
        });
        for (const blob of written.blobs) {
          if (written.channels[blob.channel] === blob.version) {
            expect(read?.channelValues[blob.channel], `${written.id} ${blob.channel}`).toEqual(blob.value);
          }
        }
        expect(
          read?.pendingWrites.map(({ taskId, index, channel, value }) => ({ taskId, index, channel, value })),
        ).toEqual(written.writes);
      }
      const latestA = await storage.checkpoint.get("thread-a");
      expect(latestA?.id).toBe(manifest.checkpoints[1]?.id);
      const all: string[] = [];
      for await (const checkpoint of storage.checkpoint.list()) all.push(checkpoint.id);
      expect(all).toEqual(manifest.checkpoints.map((c) => c.id).reverse());
      const lease = await storage.lock.tryAcquire(manifest.lock.name, { ttl: 1000 });
      // The last grant before was lease-log entry 3 (locks/…/6a6f623a31.l/3): the fencing token goes on above it.
      expect(lease?.token).toBeGreaterThan(3n);
      await lease?.release();
    } finally {
      await storage.close();
    }
  });

  it("takes new writes beside the old records: incr goes on from the old count, a new checkpoint is the latest", async () => {
    const storage = createFsStorage({ dir: copyOfOldStore("write"), namespace: manifest.namespace, sweepEveryMs: 0 });
    try {
      expect(await storage.cache.incr(manifest.counter.key)).toBe(manifest.counter.value + 1);
      await storage.cache.set("plain", "replaced");
      expect(await storage.cache.get("plain")).toBe("replaced");
      const { id } = await storage.checkpoint.put({
        threadId: "thread-a",
        parentId: manifest.checkpoints[1]?.id ?? null,
        payload: { step: 3 },
        channels: { messages: "2.bbbb", count: 2 },
      });
      const latest = await storage.checkpoint.get("thread-a");
      expect(latest?.id).toBe(id);
      expect(latest?.channelValues).toEqual({ messages: ["hello", "world"], count: 2 });
      expect(await storage.cache.gc()).toBe(0);
    } finally {
      await storage.close();
    }
  });

  it("a first-format entry an older release left half-written (it wrote in place) reads as absent; gc removes it after a minute", async () => {
    const dir = copyOfOldStore("half-written");
    const storage = createFsStorage({ dir, namespace: manifest.namespace, sweepEveryMs: 0 });
    try {
      const name = `${Buffer.from("long").toString("hex")}.v`;
      const cacheDir = join(dir, manifest.namespace, "cache");
      const shard = readdirSync(cacheDir).find((s) => readdirSync(join(cacheDir, s)).includes(name)) as string;
      const file = join(cacheDir, shard, name);
      truncateSync(file, 40); // the header promises ~90 bytes of value; 20 are there
      expect(await storage.cache.get("long")).toBeUndefined();
      expect(await storage.cache.has("long")).toBe(false);
      expect(await storage.cache.gc()).toBe(0); // it may still be being written
      const old = (Date.now() - 120_000) / 1000;
      utimesSync(file, old, old);
      expect(await storage.cache.gc()).toBe(1);
      expect(existsSync(file)).toBe(false);
      expect(await storage.cache.get("plain")).toBe(manifest.cache.plain);
    } finally {
      await storage.close();
    }
  });

  it("a first-format checkpoint an older release left half-written reads as absent: the one before it is the latest", async () => {
    const dir = copyOfOldStore("half-written-checkpoint");
    const storage = createFsStorage({ dir, namespace: manifest.namespace, sweepEveryMs: 0 });
    try {
      const newest = manifest.checkpoints[1] as Manifest["checkpoints"][number];
      const recent = readdirSync(dir, { recursive: true, encoding: "utf8" }).find((path) =>
        path.endsWith(`${Buffer.from(newest.id).toString("hex")}.c`),
      ) as string;
      truncateSync(join(dir, recent), 30);
      expect((await storage.checkpoint.get("thread-a"))?.id).toBe(manifest.checkpoints[0]?.id);
    } finally {
      await storage.close();
    }
  });
});
