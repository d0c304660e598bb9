import { describe, expect, it } from "vitest";
import { CacheStore } from "../src/cache/cache-store.js";
import { jsonCodec } from "../src/codecs/index.js";
import type { StoredEntry } from "../src/drivers/cache-driver.js";
import { BackendUnavailableError, isStowageError } from "../src/errors.js";
import { MemoryTier } from "../src/hybrid/memory-tier.js";
import { createStorage } from "../src/storage.js";

/** A real in-memory backend that can be taken down: every call rejects while `down`. */
class FlakyDriver extends MemoryTier {
  down = false;
  #enter(): void {
    if (this.down) throw new BackendUnavailableError("backend is down (test)");
  }
  override async get(key: string): Promise<StoredEntry | undefined> {
    this.#enter();
    return super.get(key);
  }
  override async set(key: string, entry: StoredEntry): Promise<void> {
    this.#enter();
    return super.set(key, entry);
  }
  override async size(): Promise<{ entries: number; bytes: number }> {
    this.#enter();
    return super.size();
  }
}

function store(driver: FlakyDriver): CacheStore {
  return new CacheStore(
    driver,
    { health: async () => ({ ok: true, backend: "test", latencyMs: 0 }), release: async () => {} },
    { namespace: "t", codec: jsonCodec, maxValueBytes: 1024 },
  );
}

const rejection = (action: Promise<unknown>) =>
  action.then(
    () => undefined,
    (error: unknown) => error,
  );

describe("cache stats()", () => {
  it("stay readable while the backend is down: counters, the last known size (sizeStale), and failures counted in errors", async () => {
    const driver = new FlakyDriver();
    const cache = store(driver);
    await cache.set("a", 1);
    await cache.get("a");
    const before = await cache.stats();
    expect(before).toMatchObject({ sets: 1, hits: 1, errors: 0, entries: 1 });
    expect(before.sizeStale).toBeUndefined();

    driver.down = true;
    expect(isStowageError(await rejection(cache.get("a")), "ERR_BACKEND_UNAVAILABLE")).toBe(true);
    expect(isStowageError(await rejection(cache.set("b", 2)), "ERR_BACKEND_UNAVAILABLE")).toBe(true);
    const during = await cache.stats();
    expect(during).toMatchObject({ sets: 1, hits: 1, errors: 2, entries: 1, bytes: before.bytes, sizeStale: true });

    driver.down = false;
    await cache.set("b", 2);
    const after = await cache.stats();
    expect(after).toMatchObject({ sets: 2, errors: 2, entries: 2 });
    expect(after.sizeStale).toBeUndefined();
  });

  it("count refused input as no backend error", async () => {
    const cache = store(new FlakyDriver());
    await rejection(cache.set("", 1));
    await rejection(cache.set("big", "x".repeat(2048)));
    await rejection(cache.incr("big"));
    await cache.set("text", "not a number");
    await rejection(cache.incr("text"));
    expect((await cache.stats()).errors).toBe(0);
  });

  it("of a hybrid+… store opened by URL include the tiers: L1 size, stale serves, breaker, write-behind", async () => {
    const storage = await createStorage("hybrid+memory://?bus=false");
    try {
      await storage.cache.set("a", 1);
      await storage.cache.get("a");
      const stats = (await storage.cache.stats()) as unknown as Record<string, unknown>;
      expect(stats).toMatchObject({
        l1Entries: 1,
        staleServes: 0,
        l2Errors: 0,
        breaker: "closed",
        writeBehindConflicts: 0,
      });
      expect(stats.l1Bytes).toBeGreaterThan(0);
    } finally {
      await storage.close();
    }
  });
});
