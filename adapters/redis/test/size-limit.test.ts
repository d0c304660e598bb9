import { configFromEnv, createStorage } from "@stowage/core";
import { describe, expect, it } from "vitest";

// Nothing listens on port 1: the refusal must come before any connection attempt.
const unreachable = "redis://127.0.0.1:1/0";
const others = { lock: "memory://", checkpoint: "memory://" };

describe("redis size limit", () => {
  it("maxSize is refused with ERR_CONFIG naming maxmemory, not silently ignored", async () => {
    const opening = createStorage({ ...others, cache: { url: unreachable, maxSize: "10kb" } });
    await expect(opening).rejects.toMatchObject({ code: "ERR_CONFIG", message: expect.stringMatching(/maxmemory/) });
  });

  it("a maxSize URL parameter is refused the same way", async () => {
    await expect(createStorage({ ...others, cache: `${unreachable}?maxSize=1mb` })).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: expect.stringMatching(/maxmemory/),
    });
  });

  it("CACHE_MAX_SIZE with a Redis STOWAGE_URL is refused the same way", async () => {
    const config = configFromEnv({ STOWAGE_URL: unreachable, CACHE_MAX_SIZE: "10kb" });
    await expect(createStorage(config)).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: expect.stringMatching(/maxmemory/),
    });
  });
});
