import type { StoredEntry } from "@stowage/core";
import { BackendUnavailableError, isStowageError } from "@stowage/core";
import { createHybridCache, type HybridCache, InProcessBus } from "@stowage/hybrid";
import { MemoryTier } from "@stowage/memory";
import { afterEach, describe, expect, it } from "vitest";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * An L2 with the cheaper reads a Redis driver has: getValue (a plain GET) and, when `withExpiry`,
 * expiresAt (PTTL). Counts calls per method; `beforeSecond` runs once, just before the call that
 * follows a getValue (the window between a value read and its expiry read).
 */
class ValueFirstL2 extends MemoryTier {
  readonly calls = { get: 0, getValue: 0, expiresAt: 0 };
  down = false;
  beforeSecond: (() => Promise<void>) | undefined;

  constructor(withExpiry: boolean) {
    super({ maxEntries: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY });
    if (!withExpiry) (this as { expiresAt?: unknown }).expiresAt = undefined;
  }

  async #second(): Promise<void> {
    const hook = this.beforeSecond;
    this.beforeSecond = undefined;
    if (hook) await hook();
  }

  override async get(key: string): Promise<StoredEntry | undefined> {
    if (this.down) throw new BackendUnavailableError("L2 is down (test)");
    this.calls.get++;
    await this.#second();
    return super.get(key);
  }

  async getValue(key: string): Promise<Uint8Array | undefined> {
    if (this.down) throw new BackendUnavailableError("L2 is down (test)");
    this.calls.getValue++;
    return this.peek(key)?.value;
  }

  async expiresAt(key: string): Promise<number | null | undefined> {
    if (this.down) throw new BackendUnavailableError("L2 is down (test)");
    this.calls.expiresAt++;
    await this.#second();
    return this.peek(key)?.expiresAt;
  }
}

describe("hybrid cache: how an L1 miss reads L2", () => {
  const opened: HybridCache[] = [];
  const open = (l2: ValueFirstL2, bus?: InProcessBus) => {
    const cache = createHybridCache({ l2, namespace: "t", ...(bus ? { bus: bus.connect() } : {}) });
    opened.push(cache);
    return cache;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((cache) => cache.close()));
  });

  for (const withExpiry of [false, true]) {
    const how = withExpiry ? "getValue + expiresAt" : "getValue + get";

    it(`(${how}) after mostly misses a read of an absent key costs one value read; after mostly hits, value and expiry go together`, async () => {
      const l2 = new ValueFirstL2(withExpiry);
      const cache = open(l2);
      for (let i = 0; i < 20; i++) expect(await cache.getOrSet(`new:${i}`, () => i, { ttl: 60_000 })).toBe(i);
      const afterMisses = { ...l2.calls };
      expect(await cache.get("absent")).toBeUndefined();
      // Reads of absent keys: one getValue each, nothing else.
      expect(l2.calls).toEqual({ ...afterMisses, getValue: afterMisses.getValue + 1 });
      expect(cache.tiers.stats().misses).toBeGreaterThan(20);

      // Keys another writer put in L2: the first hits still cost two calls, then value and expiry go together.
      for (let i = 0; i < 40; i++)
        await l2.set(`old:${i}`, { value: bytes(String(i)), expiresAt: Date.now() + 50_000 + i });
      for (let i = 0; i < 40; i++) expect(await cache.get(`old:${i}`)).toBe(i);
      const before = { ...l2.calls };
      expect(await cache.get("old:x")).toBeUndefined();
      await l2.set("old:y", { value: bytes('"y"'), expiresAt: Date.now() + 40_000 });
      expect(await cache.get("old:y")).toBe("y");
      const used = {
        get: l2.calls.get - before.get,
        getValue: l2.calls.getValue - before.getValue,
        expiresAt: l2.calls.expiresAt - before.expiresAt,
      };
      // One combined read per key: get() alone, or getValue and expiresAt issued together.
      expect(used).toEqual(withExpiry ? { get: 0, getValue: 2, expiresAt: 2 } : { get: 2, getValue: 0, expiresAt: 0 });
      // Every fill carries L2's own expiry, whichever way it was read.
      for (const key of ["old:0", "old:39", "old:y"])
        expect((await cache.tiers.l1.get(key))?.expiresAt).toBe((await l2.get(key))?.expiresAt);
    });

    it(`(${how}) a key rewritten between the value read and the expiry read: the answer and L1 hold no older value than L2 did then`, async () => {
      const l2 = new ValueFirstL2(withExpiry);
      const cache = open(l2);
      for (let i = 0; i < 20; i++) await cache.get(`absent:${i}`); // value-first from now on
      await l2.set("k", { value: bytes('"old"'), expiresAt: Date.now() + 60_000 });
      l2.beforeSecond = async () => {
        await l2.set("k", { value: bytes('"new"'), expiresAt: Date.now() + 5_000 });
      };
      const answer = await cache.get("k");
      const local = await cache.tiers.l1.get("k");
      if (withExpiry) {
        // The value was read before the rewrite: it may be answered, but L1 must not keep it past
        // the new entry's expiry, and the bus (not used here) drops it when the writer's message comes.
        expect(answer).toBe("old");
        expect(local?.expiresAt).toBe((await l2.get("k"))?.expiresAt);
      } else {
        // get() read value and expiry again, together: the new entry.
        expect(answer).toBe("new");
        expect(new TextDecoder().decode(local?.value)).toBe('"new"');
        expect(local?.expiresAt).toBe((await l2.get("k"))?.expiresAt);
      }
    });

    it(`(${how}) a key deleted between the value read and the expiry read reads as absent and stays out of L1`, async () => {
      const l2 = new ValueFirstL2(withExpiry);
      const cache = open(l2);
      for (let i = 0; i < 20; i++) await cache.get(`absent:${i}`);
      await l2.set("k", { value: bytes('"v"'), expiresAt: null });
      l2.beforeSecond = async () => {
        await l2.delete("k");
      };
      expect(await cache.get("k")).toBeUndefined();
      expect(await cache.tiers.l1.get("k")).toBeUndefined();
    });

    it(`(${how}) an invalidation that arrives between the two reads keeps their answer out of L1`, async () => {
      const l2 = new ValueFirstL2(withExpiry);
      const bus = new InProcessBus();
      const reader = open(l2, bus);
      const writer = open(l2, bus);
      for (let i = 0; i < 20; i++) await reader.get(`absent:${i}`);
      await writer.set("k", "old");
      await sleep(10);
      l2.beforeSecond = async () => {
        // The write lands in L2 and its message arrives before the second read is answered.
        await writer.set("k", "new");
        await sleep(10);
      };
      await reader.get("k");
      expect(await reader.tiers.l1.get("k")).toBeUndefined();
      expect(await reader.get("k")).toBe("new");
    });

    it(`(${how}) value-first reads go through the breaker: with L2 down they fail, open it, and L1 is then served as stale`, async () => {
      const l2 = new ValueFirstL2(withExpiry);
      const cache = open(l2);
      await cache.set("kept", "v");
      for (let i = 0; i < 20; i++) await cache.get(`absent:${i}`);
      l2.down = true;
      for (let i = 0; i < 3; i++) {
        const error = await cache.get(`absent:x${i}`).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isStowageError(error, "ERR_BACKEND_UNAVAILABLE"), String(error)).toBe(true);
      }
      expect(cache.tiers.breaker.state).toBe("open");
      expect(await cache.get("kept")).toBe("v");
      expect(cache.tiers.stats().staleServes).toBe(1);
    });
  }
});
