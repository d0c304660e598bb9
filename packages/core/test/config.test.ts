import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { configFromEnv } from "../src/config/env-config.js";
import { localPathFromUrl } from "../src/config/local-path.js";
import { parseByteSize, parseDuration } from "../src/config/params.js";
import { createStorage } from "../src/storage.js";

describe("configuration", () => {
  it("with nothing set, every store is SQLite in ./.stowage/", () => {
    const config = configFromEnv({});
    const expected = `sqlite://${resolve(".stowage/stowage.db")}`;
    expect(config.cache).toEqual({ url: expected });
    expect(config.lock).toEqual({ url: expected });
    expect(config.checkpoint).toEqual({ url: expected });
  });

  it("maps the seed's variables: CACHE_DIR, LOCK_DIR, CACHE_MAX_SIZE, CACHE_DEFAULT_TTL and CACHE_CHECKPOINT_TTL (seconds)", () => {
    const config = configFromEnv({
      CACHE_DIR: "/data/cache",
      LOCK_DIR: "/data/locks",
      CACHE_MAX_SIZE: "1048576",
      CACHE_DEFAULT_TTL: "3600",
      CACHE_CHECKPOINT_TTL: "604800",
    });
    expect(config.cache).toEqual({ url: "sqlite:///data/cache/stowage.db", maxSize: 1048576, defaultTtl: 3_600_000 });
    expect(config.lock).toEqual({ url: "sqlite:///data/locks/stowage.db" });
    expect(config.checkpoint).toEqual({ url: "sqlite:///data/cache/stowage.db", defaultTtl: 604_800_000 });
  });

  it("STOWAGE_URL and the per-store URLs win over the directories", () => {
    const config = configFromEnv({
      STOWAGE_URL: "redis://127.0.0.1:6379",
      STOWAGE_LOCK_URL: "redlock://a,b,c",
      CACHE_DIR: "/x",
    });
    expect(config.cache).toEqual({ url: "redis://127.0.0.1:6379" });
    expect(config.lock).toEqual({ url: "redlock://a,b,c" });
  });

  it("STOWAGE_LOCAL_BACKEND picks the embedded backend for the directories", () => {
    expect(configFromEnv({ STOWAGE_LOCAL_BACKEND: "file", CACHE_DIR: "/d" }).cache).toEqual({ url: "file:///d" });
    expect(configFromEnv({ STOWAGE_LOCAL_BACKEND: "lmdb", CACHE_DIR: "/d" }).cache).toEqual({
      url: "lmdb:///d/stowage.lmdb",
    });
  });

  it("a bad environment value is a ConfigError naming the variable and what is allowed", () => {
    expect(() => configFromEnv({ CACHE_MAX_SIZE: "big" })).toThrow(/CACHE_MAX_SIZE: must be a size in bytes/);
    expect(() => configFromEnv({ CACHE_DEFAULT_TTL: "-5" })).toThrow(
      /CACHE_DEFAULT_TTL: must be seconds such as 60, 1.5 or 0/,
    );
    expect(() => configFromEnv({ STOWAGE_LOCAL_BACKEND: "mongo" })).toThrow(
      /STOWAGE_LOCAL_BACKEND: must be one of "sqlite", "lmdb", "file"/,
    );
    expect(() => configFromEnv({ STOWAGE_URL: " " })).toThrow(/STOWAGE_URL: is set but empty/);
  });

  it("sizes and durations parse with units and refuse nonsense", () => {
    expect(parseByteSize("512kb", "f")).toBe(512_000);
    expect(parseByteSize("1MiB", "f")).toBe(1024 * 1024);
    expect(() => parseByteSize("0", "f")).toThrow(/f: must be a positive size/);
    expect(parseDuration("30", "f", "s")).toBe(30_000);
    expect(() => parseDuration("1.5", "f")).toThrow(/f: must be a positive whole number/);
  });

  it("local URLs name absolute paths, relative paths, and never a remote host", () => {
    expect(localPathFromUrl(new URL("sqlite:///var/lib/x.db"))).toBe("/var/lib/x.db");
    expect(localPathFromUrl(new URL("sqlite:rel/x.db"))).toBe(resolve("rel/x.db"));
    expect(localPathFromUrl(new URL("sqlite://./rel/x.db"))).toBe(resolve("rel/x.db"));
    expect(localPathFromUrl(new URL("sqlite:///with%20space/x.db"))).toBe("/with space/x.db");
    expect(() => localPathFromUrl(new URL("sqlite://db.example/x.db"))).toThrow(/name a local path, not a host/);
  });

  it("createStorage refuses unknown schemes, bad namespaces and bad options with ConfigError", async () => {
    await expect(createStorage("mongo://x")).rejects.toThrow(/cache.url: unknown URL scheme "mongo:"/);
    await expect(createStorage("not a url")).rejects.toThrow(/cache.url: is not a URL/);
    await expect(createStorage({ url: "memory://", namespace: "bad/ns" })).rejects.toMatchObject({
      code: "ERR_CONFIG",
    });
    await expect(createStorage("memory://?maxSize=lots")).rejects.toThrow(/maxSize/);
    await expect(createStorage("memory://?colour=red")).rejects.toThrow(/url.colour: is not an option of memory/);
    await expect(createStorage({ cache: "memory://" })).rejects.toThrow(/lock: no URL/);
  });

  it("a checkpoint payload, blob or pending write larger than maxValueBytes is ERR_VALUE_TOO_LARGE and nothing is written", async () => {
    await using storage = await createStorage({
      url: "memory://",
      checkpoint: { url: "memory://", maxValueBytes: 1024 },
    });
    const big = "x".repeat(2000);
    const { checkpoint } = storage;
    await expect(checkpoint.put({ threadId: "t", payload: big })).rejects.toMatchObject({
      code: "ERR_VALUE_TOO_LARGE",
    });
    await expect(
      checkpoint.put({
        threadId: "t",
        payload: 1,
        channels: { c: 1 },
        blobs: [{ channel: "c", version: 1, value: big }],
      }),
    ).rejects.toMatchObject({ code: "ERR_VALUE_TOO_LARGE" });
    expect(await checkpoint.countThread("t")).toBe(0);
    const { id } = await checkpoint.put({ threadId: "t", payload: "x".repeat(1000) });
    await expect(
      checkpoint.putWrites("t", { checkpointId: id }, [{ taskId: "a", index: 0, channel: "c", value: big }]),
    ).rejects.toMatchObject({ code: "ERR_VALUE_TOO_LARGE" });
    expect((await checkpoint.get("t"))?.pendingWrites).toEqual([]);
  });

  it("one URL opens one backend shared by the three stores, closed once with them", async () => {
    const storage = await createStorage("memory://?namespace=app");
    expect(storage.cache.namespace).toBe("app");
    await storage.cache.set("k", 1);
    await storage.close();
    await expect(storage.cache.get("k")).rejects.toMatchObject({ code: "ERR_CLOSED" });
  });

  it("a value larger than maxValueBytes is ERR_VALUE_TOO_LARGE and nothing is written", async () => {
    await using storage = await createStorage({ url: "memory://", cache: { url: "memory://", maxValueBytes: 1024 } });
    await expect(storage.cache.set("k", "x".repeat(2000))).rejects.toMatchObject({ code: "ERR_VALUE_TOO_LARGE" });
    expect(await storage.cache.has("k")).toBe(false);
  });
});
