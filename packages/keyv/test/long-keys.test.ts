import { createStorage, type Storage } from "@stowage/core";
import { createCache } from "cache-manager";
import Keyv from "keyv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StowageKeyvStore } from "../src/index.js";

describe("a Keyv store over stowage accepts every key @keyv/sqlite accepts", () => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await createStorage("memory://");
  });
  afterAll(async () => {
    await storage.close();
  });

  const long = `${"é".repeat(600)}/end`;

  it("keys over 1024 bytes (namespace prefix included) are kept, read, listed and cleared", async () => {
    const keyv = new Keyv({ store: new StowageKeyvStore(storage.cache), namespace: "long" });
    const other = new Keyv({ store: new StowageKeyvStore(storage.cache), namespace: "other" });
    const exact = "x".repeat(1024 - "long:".length + 1);
    expect(await keyv.set(long, { n: 1 })).toBe(true);
    expect(await keyv.set(exact, 2)).toBe(true);
    expect(await keyv.set("short", 3)).toBe(true);
    expect(await other.set(long, "other")).toBe(true);
    expect(await keyv.get(long)).toEqual({ n: 1 });
    expect(await keyv.get(exact)).toBe(2);
    expect(await keyv.get([long, "short", "absent"])).toEqual([{ n: 1 }, 3, undefined]);
    expect(await keyv.has(long)).toBe(true);
    const listed = new Map<string, unknown>();
    for await (const [key, value] of keyv.iterator?.() ?? []) listed.set(key, value);
    expect(listed).toEqual(
      new Map<string, unknown>([
        [long, { n: 1 }],
        [exact, 2],
        ["short", 3],
      ]),
    );
    expect(await keyv.delete(exact)).toBe(true);
    expect(await keyv.get(exact)).toBeUndefined();
    await keyv.clear();
    expect(await keyv.get(long)).toBeUndefined();
    expect(await other.get(long)).toBe("other");
    await other.clear();
  });

  it("keys with lone surrogates, or spelling a digest key, never meet another key", async () => {
    const keyv = new Keyv({ store: new StowageKeyvStore(storage.cache) });
    const keys = ["\ud800", "\udbff", "a\udc00", "\0keyv-sha256:x", "plain"];
    for (const [i, key] of keys.entries()) expect(await keyv.set(key, i)).toBe(true);
    for (const [i, key] of keys.entries()) expect(await keyv.get(key)).toBe(i);
    const listed = new Set<string>();
    for await (const [key] of keyv.iterator?.() ?? []) listed.add(key);
    expect(listed).toEqual(new Set(keys));
    await keyv.clear();
  });

  it("cache-manager's wrap loads a long key once, not on every call", async () => {
    const cache = createCache({ stores: [new Keyv({ store: new StowageKeyvStore(storage.cache) })] });
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.wrap(long, load)).toBe(1);
    expect(await cache.wrap(long, load)).toBe(1);
    expect(loads).toBe(1);
  });
});
