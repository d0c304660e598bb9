import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import KeyvSqlite from "@keyv/sqlite";
import { createStorage, isStowageError, type Storage } from "@stowage/core";
import Keyv from "keyv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKeyvStorage,
  createKeyvStore,
  type KeyvStoreLike,
  unregisterKeyvStore,
  useKeyvStore,
} from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "stowage-keyv-backend-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stores: { name: string; make: () => KeyvStoreLike }[] = [
  { name: "Map", make: () => new Map() },
  { name: "@keyv/sqlite", make: () => new KeyvSqlite(`sqlite://${join(dir, "keyv.sqlite")}`) },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const { name, make } of stores) {
  describe(`a stowage cache over a Keyv store (${name})`, () => {
    let store: KeyvStoreLike;
    let storage: Storage;
    let other: Storage;
    beforeAll(async () => {
      store = make();
      storage = createKeyvStorage(store, { namespace: "main" });
      other = createKeyvStorage(store, { namespace: "other" });
    });
    afterAll(async () => {
      await storage.close();
      await other.close();
    });

    it("round-trips values and keys with colons, slashes and emoji", async () => {
      const key = "a:b/../c % 🙂";
      await storage.cache.set(key, { n: 1, list: [1, "x"] });
      expect(await storage.cache.get(key)).toEqual({ n: 1, list: [1, "x"] });
      expect(await storage.cache.getMany([key, "absent"])).toEqual([{ n: 1, list: [1, "x"] }, undefined]);
    });

    it("never returns an entry after its ttl", async () => {
      // Long enough that a loaded machine reads it back before it expires.
      await storage.cache.set("short", "v", { ttl: 1_000 });
      expect(await storage.cache.get("short")).toBe("v");
      expect(await storage.cache.ttl("short")).toBeGreaterThan(0);
      await sleep(1_200);
      expect(await storage.cache.get("short")).toBeUndefined();
      expect(await storage.cache.has("short")).toBe(false);
    });

    it("keeps namespaces apart, and clear() empties only its own", async () => {
      await storage.cache.set("shared", "main");
      await other.cache.set("shared", "other");
      expect(await storage.cache.get("shared")).toBe("main");
      await other.cache.clear();
      expect(await other.cache.get("shared")).toBeUndefined();
      expect(await storage.cache.get("shared")).toBe("main");
    });

    it("lists live keys by prefix", async () => {
      await storage.cache.setMany([
        { key: "list:1", value: 1 },
        { key: "list:2", value: 2 },
        { key: "list:gone", value: 3, ttl: 30 },
        { key: "other:1", value: 4 },
      ]);
      await sleep(150);
      const keys: string[] = [];
      for await (const key of storage.cache.keys("list:")) keys.push(key);
      expect(keys.sort()).toEqual(["list:1", "list:2"]);
    });

    it("counts only live entries removed by delete and deleteMany", async () => {
      await storage.cache.setMany([
        { key: "d1", value: 1 },
        { key: "d2", value: 2 },
      ]);
      expect(await storage.cache.delete("d1")).toBe(true);
      expect(await storage.cache.delete("d1")).toBe(false);
      expect(await storage.cache.deleteMany(["d1", "d2", "d3"])).toBe(1);
    });

    it("incr, add and json.set are atomic among the callers of one process", async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => storage.cache.incr("counter")));
      expect(new Set(results).size).toBe(50);
      expect(await storage.cache.get("counter")).toBe(50);
      const added = await Promise.all(Array.from({ length: 10 }, (_, i) => storage.cache.add("once", i)));
      expect(added.filter(Boolean)).toHaveLength(1);
      await Promise.all(Array.from({ length: 20 }, (_, i) => storage.cache.json.set("doc", `$.k${i}`, i)));
      expect(Object.keys((await storage.cache.get<Record<string, number>>("doc")) ?? {})).toHaveLength(20);
    });

    it("gc removes entries past their ttl and reports how many", async () => {
      await other.cache.clear();
      await other.cache.set("stays", 1);
      await other.cache.set("goes", 1, { ttl: 30 });
      await sleep(150);
      expect(await other.cache.gc()).toBe(1);
      expect((await other.cache.stats()).entries).toBe(1);
    });

    it("refuses lock and checkpoint calls with a ConfigError that says what to do", async () => {
      const lock = storage.lock.tryAcquire("job");
      await expect(lock).rejects.toSatisfy((error) => isStowageError(error, "ERR_CONFIG"));
      await expect(lock).rejects.toThrow(/lock its own sqlite:, lmdb:, file:, redis: or memory: URL/);
      await expect(storage.checkpoint.put({ threadId: "t", payload: 1 })).rejects.toSatisfy((error) =>
        isStowageError(error, "ERR_CONFIG"),
      );
    });
  });
}

describe("keyv:// URLs", () => {
  it("open a registered Keyv store as the cache beside other stores", async () => {
    const url = useKeyvStore("interop-test", new Map());
    const storage = await createStorage({ cache: url, lock: "memory://", checkpoint: "memory://" });
    try {
      await storage.cache.set("k", "v");
      expect(await storage.cache.get("k")).toBe("v");
      const lease = await storage.lock.tryAcquire("job");
      expect(lease).toBeDefined();
      await lease?.release();
      expect((await storage.health()).cache.backend).toBe("keyv");
    } finally {
      await storage.close();
      unregisterKeyvStore("interop-test");
    }
  });

  it("name an unregistered store with a ConfigError listing the registered ones", async () => {
    useKeyvStore("known", new Map());
    await expect(createStorage("keyv://unknown")).rejects.toThrow(
      /no Keyv store is registered as "unknown".*keyv:\/\/known/,
    );
    unregisterKeyvStore("known");
  });

  it("reject query parameters they do not know", async () => {
    useKeyvStore("params", new Map());
    await expect(createStorage("keyv://params?pool=3")).rejects.toSatisfy((error) =>
      isStowageError(error, "ERR_CONFIG"),
    );
    unregisterKeyvStore("params");
  });
});

describe("a Keyv store that cannot iterate", () => {
  it("serves get and set but refuses keys() with a ConfigError", async () => {
    const map = new Map<string, unknown>();
    const bare = {
      opts: {},
      get: async (key: string) => map.get(key),
      set: async (key: string, value: unknown) => void map.set(key, value),
      delete: async (key: string) => map.delete(key),
      clear: async () => map.clear(),
      on: () => bare,
    };
    const storage = createKeyvStorage(bare);
    await storage.cache.set("k", 1);
    expect(await storage.cache.get("k")).toBe(1);
    const listing = (async () => {
      for await (const _ of storage.cache.keys()) {
        // listing is refused before the first key
      }
    })();
    await expect(listing).rejects.toThrow(/cannot list its keys/);
    await storage.close();
  });
});

describe("createKeyvStore", () => {
  it("opens a stowage cache from a URL for Keyv and closes it when Keyv disconnects", async () => {
    const store = await createKeyvStore("memory://");
    const keyv = new Keyv({ store });
    await keyv.set("k", { v: 1 }, 60_000);
    expect(await keyv.get("k")).toEqual({ v: 1 });
    expect(await store.cache.ttl("keyv:k")).toBeGreaterThan(50_000);
    await keyv.disconnect();
    await expect(store.cache.get("keyv:k")).rejects.toSatisfy((error) => isStowageError(error, "ERR_CLOSED"));
  });
});
