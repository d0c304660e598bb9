import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyParameters } from "../runs.js";
import { collect, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** JSON text has -0 but JSON.stringify writes it as 0, so the JSON codec refuses it (the codec edge group checks that). */
const keptByJson = (value: unknown): boolean =>
  !Object.is(value, -0) && (typeof value !== "object" || value === null || Object.values(value).every(keptByJson));

/** Any key within the rules round-trips; any JSON value round-trips; any path set is the path got. */
export function cacheProperties(target: ConformanceTarget): void {
  describe("cache properties (fast-check)", () => {
    const ctx = useStorage(target);
    const validKey = fc
      .string({ unit: "binary", minLength: 1, maxLength: 120 })
      .filter((key) => Buffer.byteLength(key) <= 1024);

    it("every valid key round-trips through set, get, keys and delete", async () => {
      const { cache } = ctx.storage;
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(validKey, { minLength: 1, maxLength: 8 }), async (keys) => {
          await cache.clear();
          for (const [i, key] of keys.entries()) await cache.set(key, i);
          for (const [i, key] of keys.entries()) expect(await cache.get(key)).toBe(i);
          expect((await collect(cache.keys())).sort()).toEqual([...keys].sort());
          expect(await cache.deleteMany(keys)).toBe(keys.length);
        }),
        propertyParameters(40),
      );
    });

    it("every JSON value round-trips", async () => {
      const { cache } = ctx.storage;
      await fc.assert(
        fc.asyncProperty(fc.jsonValue().filter(keptByJson), async (value) => {
          await cache.set("v", value);
          expect(await cache.get("v")).toEqual(JSON.parse(JSON.stringify(value)));
        }),
        propertyParameters(60),
      );
    });

    it("a value set at a generated JSON path is the value got there", async () => {
      const { cache } = ctx.storage;
      const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/).filter((n) => !["constructor", "prototype"].includes(n));
      await fc.assert(
        fc.asyncProperty(
          fc.array(name, { minLength: 1, maxLength: 5 }),
          fc.jsonValue({ maxDepth: 2 }).filter(keptByJson),
          async (names, value) => {
            await cache.delete("doc");
            const path = `$.${names.join(".")}`;
            await cache.json.set("doc", path, value);
            expect(await cache.json.get("doc", path)).toEqual(JSON.parse(JSON.stringify(value)));
          },
        ),
        propertyParameters(40),
      );
    });
  });
}
