import { createStorage, type Storage } from "@stowage/core";
import { createCache } from "cache-manager";
import { Cacheable } from "cacheable";
import Keyv from "keyv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StowageKeyvStore } from "../src/index.js";
import { backendsUnderTest, inNamespace, releaseBackends } from "./backends.js";

const backends = (await backendsUnderTest("keyv-libraries")).filter((b) => ["sqlite", "redis"].includes(b.name));
afterAll(releaseBackends);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of backends) {
  if (backend.skip)
    console.log(`@stowage/keyv: cache-manager/cacheable tests skipped on ${backend.name}: ${backend.skip}`);
  describe.skipIf(backend.skip !== undefined)(`cache-manager 7 and cacheable 2 on ${backend.name}`, () => {
    let storage: Storage;
    beforeAll(async () => {
      storage = await createStorage(inNamespace(backend.url, `keyv-libraries-${process.pid}`));
    });
    afterAll(async () => {
      await storage?.cache.clear();
      await storage?.close();
    });

    it("cache-manager keeps values, expires them by ttl and loads once through wrap", async () => {
      const cache = createCache({ stores: [new Keyv({ store: new StowageKeyvStore(storage.cache) })] });
      await cache.set("user:1", { name: "Ana" });
      expect(await cache.get("user:1")).toEqual({ name: "Ana" });
      await cache.set("short", 1, 50);
      await sleep(200);
      expect(await cache.get("short")).toBeUndefined();
      let loads = 0;
      const load = async () => ++loads;
      expect(await Promise.all([cache.wrap("w", load), cache.wrap("w", load)])).toEqual([1, 1]);
      expect(await cache.wrap("w", load)).toBe(1);
      expect(loads).toBe(1);
      await cache.del("user:1");
      expect(await cache.get("user:1")).toBeUndefined();
    });

    it("cacheable uses the store as its secondary tier", async () => {
      const cache = new Cacheable({ secondary: new Keyv({ store: new StowageKeyvStore(storage.cache) }) });
      await cache.set("k", "v");
      const fresh = new Cacheable({ secondary: new Keyv({ store: new StowageKeyvStore(storage.cache) }) });
      expect(await fresh.get("k")).toBe("v");
      expect(await fresh.delete("k")).toBe(true);
      expect(await cache.secondary?.get("k")).toBeUndefined();
    });
  });
}
