import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createLmdbStorage } from "../src/index.js";
import { decodeTuple, encodeTuple, type TuplePart } from "../src/keys/tuple.js";

const dir = mkdtempSync(join(tmpdir(), "stowage-lmdb-behaviour-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const part = fc.oneof(fc.string({ unit: "binary" }), fc.double({ noNaN: true }));

function compareParts(a: readonly TuplePart[], b: readonly TuplePart[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as TuplePart;
    const y = b[i] as TuplePart;
    if (typeof x !== typeof y) return typeof x === "string" ? -1 : 1;
    if (typeof x === "number") {
      if (x !== y) return x < (y as number) ? -1 : 1;
      continue;
    }
    const c = Buffer.compare(Buffer.from(x), Buffer.from(y as string));
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

describe("tuple keys", () => {
  it("round-trip, and byte order equals tuple order (strings by UTF-8, then numbers), NULs included", () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 4 }), fc.array(part, { maxLength: 4 }), (a, b) => {
        const ka = encodeTuple(a);
        expect(decodeTuple(ka).map((p) => (Object.is(p, -0) ? 0 : p))).toEqual(
          a.map((p) => (Object.is(p, -0) ? 0 : p)),
        );
        const byBytes = Math.sign(Buffer.compare(ka, encodeTuple(b)));
        const byParts = Math.sign(compareParts(a, b));
        if (byParts !== 0 || byBytes !== 0) expect(byBytes).toBe(byParts);
      }),
      { numRuns: 2000 },
    );
  });

  it("a string containing NUL never collides with a longer tuple", () => {
    expect(Buffer.compare(encodeTuple(["ns", "a\0b", "c"]), encodeTuple(["ns", "a", "b\0c"]))).not.toBe(0);
    expect(Buffer.compare(encodeTuple(["a\0", "b"]), encodeTuple(["a", "\0b"]))).not.toBe(0);
  });
});

describe("lmdb store behaviour", () => {
  it("keys of 1024 bytes, NULs and thread/ns/id/channel strings of 1 KiB all round-trip", async () => {
    const storage = createLmdbStorage({ path: join(dir, "long"), namespace: "long" });
    try {
      const long = "é".repeat(512);
      await storage.cache.set(long, 1);
      await storage.cache.set("a\0b", 2);
      await storage.cache.set("a", 3);
      expect(await storage.cache.getMany([long, "a\0b", "a"])).toEqual([1, 2, 3]);
      const keys: string[] = [];
      for await (const key of storage.cache.keys("a")) keys.push(key);
      expect(keys.sort()).toEqual(["a", "a\0b"]);
      const thread = "t".repeat(1024);
      const ns = "n".repeat(1024);
      const id = "i".repeat(1024);
      const channel = "c".repeat(1024);
      const version = "v".repeat(1024); // versions are identifiers too: at most 1024 bytes
      await storage.checkpoint.put({
        threadId: thread,
        ns,
        id,
        payload: "p",
        channels: { [channel]: version },
        blobs: [{ channel, version, value: "blob" }],
      });
      const loaded = await storage.checkpoint.get(thread, { ns });
      expect(loaded?.id).toBe(id);
      expect(loaded?.channelValues).toEqual({ [channel]: "blob" });
      await storage.checkpoint.deleteThread(thread);
      expect(await storage.checkpoint.countThread(thread)).toBe(0);
    } finally {
      await storage.close();
    }
  });

  it("operations issued together by one process take effect in the order they were called", async () => {
    const storage = createLmdbStorage({ path: join(dir, "order"), namespace: "order" });
    try {
      await storage.cache.set("k", 1);
      await Promise.all([storage.cache.delete("k"), storage.cache.set("k", 2)]);
      expect(await storage.cache.get("k")).toBe(2);
      await Promise.all([storage.cache.incr("n"), storage.cache.set("n", 10)]);
      expect(await storage.cache.get("n")).toBe(10);
      await Promise.all([storage.cache.set("m", 10), storage.cache.incr("m")]);
      expect(await storage.cache.get("m")).toBe(11);
    } finally {
      await storage.close();
    }
  });

  it("lock operations (synchronous transactions) interleaved with batched cache and checkpoint writes all complete", async () => {
    const storage = createLmdbStorage({ path: join(dir, "mixed"), namespace: "mixed", maxSizeBytes: 1_000_000 });
    try {
      const writers = Array.from({ length: 300 }, async (_, i) => {
        await storage.cache.set(`k${i}`, i);
        await storage.cache.incr("count");
        await storage.cache.add(`a${i % 7}`, i);
        if (i % 10 === 0) await storage.checkpoint.put({ threadId: "mixed", payload: i });
      });
      const lockers = Array.from({ length: 40 }, (_, i) =>
        storage.lock.withLock(`L${i % 4}`, async () => storage.cache.incr(`locked${i % 4}`), {
          ttl: 5_000,
          waitMs: 30_000,
        }),
      );
      await Promise.all([...writers, ...lockers]);
      expect(await storage.cache.get("count")).toBe(300);
      expect(await storage.cache.getMany(["locked0", "locked1", "locked2", "locked3"])).toEqual([10, 10, 10, 10]);
      expect((await storage.checkpoint.stats()).checkpoints).toBe(30);
    } finally {
      await storage.close();
    }
  }, 60_000);

  it("the sweeper removes expired entries without anyone calling gc", async () => {
    const storage = createLmdbStorage({ path: join(dir, "sweep"), namespace: "sweep", sweepEveryMs: 100 });
    try {
      await storage.cache.setMany(Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: i, ttl: 50 })));
      await storage.cache.set("keep", 1);
      await storage.checkpoint.put({ threadId: "t", payload: 1 }, { ttl: 50 });
      expect((await storage.cache.stats()).entries).toBe(21);
      const left = async () => [(await storage.cache.stats()).entries, (await storage.checkpoint.stats()).checkpoints];
      let [entries, checkpoints] = await left();
      for (let waited = 0; (entries !== 1 || checkpoints !== 0) && waited < 5_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        [entries, checkpoints] = await left();
      }
      expect([entries, checkpoints]).toEqual([1, 0]);
      expect(await storage.cache.get("keep")).toBe(1);
    } finally {
      await storage.close();
    }
  });

  it("the map grows past its initial size as data is written", async () => {
    const storage = createLmdbStorage({ path: join(dir, "grow"), namespace: "grow", mapSize: 64 * 1024 });
    try {
      const value = "x".repeat(64 * 1024);
      for (let batch = 0; batch < 8; batch++) {
        await storage.cache.setMany(Array.from({ length: 16 }, (_, i) => ({ key: `k${batch}:${i}`, value })));
      }
      expect((await storage.cache.stats()).entries).toBe(128);
      expect(await storage.cache.get("k7:15")).toBe(value);
      const health = await storage.health();
      expect(health.cache.details?.mapSize as number).toBeGreaterThan(8 * 1024 * 1024);
    } finally {
      await storage.close();
    }
  });

  it("list reads only the page it returns: newest first across threads, with before", async () => {
    const storage = createLmdbStorage({ path: join(dir, "list"), namespace: "list" });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const { id } = await storage.checkpoint.put({ threadId: `t${i % 3}`, ns: i % 2 ? "sub" : "", payload: i });
        ids.push(id);
      }
      const newest = [...ids].reverse();
      const page = [];
      for await (const c of storage.checkpoint.list({ limit: 5 })) page.push(c.id);
      expect(page).toEqual(newest.slice(0, 5));
      const older = [];
      for await (const c of storage.checkpoint.list({ before: newest[4], limit: 3 })) older.push(c.id);
      expect(older).toEqual(newest.slice(5, 8));
      const thread = [];
      for await (const c of storage.checkpoint.list({ threadId: "t1" })) thread.push(c.payload);
      expect(thread).toEqual([28, 25, 22, 19, 16, 13, 10, 7, 4, 1]);
      const threadNs = [];
      for await (const c of storage.checkpoint.list({ threadId: "t1", ns: "sub", limit: 2 })) threadNs.push(c.payload);
      expect(threadNs).toEqual([25, 19]);
      expect(await storage.checkpoint.prune("t1", { keepLast: 1 })).toBe(8);
      expect((await storage.checkpoint.stats()).checkpoints).toBe(22);
    } finally {
      await storage.close();
    }
  });
});
