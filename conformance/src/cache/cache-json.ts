import { describe, expect, it } from "vitest";
import { expectCode, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** json.get/set/del reach paths inside a stored document, RedisJSON-style, and never a prototype. */
export function cacheJson(target: ConformanceTarget): void {
  describe("cache json paths", () => {
    const ctx = useStorage(target);

    it("json.get reads a path, json.set writes one, json.del removes one", async () => {
      const { cache } = ctx.storage;
      await cache.set("run", { status: "queued", steps: [{ name: "a" }, { name: "b" }], meta: { "a key": 1 } });
      expect(await cache.json.get("run", "$.steps[1].name")).toBe("b");
      expect(await cache.json.get("run", '$.meta["a key"]')).toBe(1);
      expect(await cache.json.get("run", "$.missing.deep")).toBeUndefined();
      expect(await cache.json.get("absent", "$.a")).toBeUndefined();
      await cache.json.set("run", "$.status", "running");
      await cache.json.set("run", "$.steps[2]", { name: "c" });
      expect(await cache.json.del("run", "$.steps[0]")).toBe(true);
      expect(await cache.json.del("run", "$.nothing")).toBe(false);
      expect(await cache.get("run")).toEqual({
        status: "running",
        steps: [{ name: "b" }, { name: "c" }],
        meta: { "a key": 1 },
      });
    });

    it("json.set creates the document and missing parents; json.del of $ removes the key", async () => {
      const { cache } = ctx.storage;
      await cache.json.set("new", "$.a.b", [1]);
      expect(await cache.get("new")).toEqual({ a: { b: [1] } });
      await cache.json.set("whole", "$", { replaced: true });
      expect(await cache.get("whole")).toEqual({ replaced: true });
      expect(await cache.json.del("whole", "$")).toBe(true);
      expect(await cache.has("whole")).toBe(false);
    });

    it("paths reaching __proto__, constructor or prototype are refused and change nothing", async () => {
      const { cache } = ctx.storage;
      await cache.set("doc", { a: 1 });
      for (const path of [
        "$.__proto__.polluted",
        "$.constructor.prototype.polluted",
        '$["__proto__"]',
        "$.a.prototype",
      ]) {
        await expectCode(cache.json.set("doc", path, true), "ERR_INVALID_ARGUMENT");
        await expectCode(cache.json.get("doc", path), "ERR_INVALID_ARGUMENT");
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(await cache.get("doc")).toEqual({ a: 1 });
    });

    it("malformed paths are ERR_INVALID_ARGUMENT", async () => {
      const { cache } = ctx.storage;
      for (const path of ["a.b", "$.", "$[", "$[x]", "$..a", "$.a[-1]", ""]) {
        await expectCode(cache.json.get("doc", path), "ERR_INVALID_ARGUMENT");
      }
    });
  });
}
