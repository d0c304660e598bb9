// Core from its package, like the memory driver below: one copy of the error classes.
import { BackendUnavailableError, CacheStore, isStowageError, jsonCodec, type StoredEntry } from "@stowage/core";
import { MemoryTier } from "@stowage/memory";
import { describe, expect, it } from "vitest";

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
});
