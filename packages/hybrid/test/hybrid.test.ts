import { tempDir, waitUntil } from "@stowage/conformance/testing";
import type { CacheBus, CacheDriver, CacheStore, StoredEntry } from "@stowage/core";
import { BackendUnavailableError, createStorage, isStowageError } from "@stowage/core";
import {
  createHybridCache,
  type HybridCache,
  type HybridCacheOptions,
  InProcessBus,
  type InProcessBusEnd,
} from "@stowage/hybrid";
import { MemoryTier } from "@stowage/memory";
import { afterEach, describe, expect, it } from "vitest";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => sleep(5);

/** A real in-memory L2 that can be taken down or slowed, counting the calls that reach it. */
class SharedL2 extends MemoryTier {
  down = false;
  readDelayMs = 0;
  calls = 0;
  #enter(): void {
    this.calls++;
    if (this.down) throw new BackendUnavailableError("L2 is down (test)");
  }
  override async get(key: string): Promise<StoredEntry | undefined> {
    this.#enter();
    const entry = await super.get(key);
    if (this.readDelayMs) await sleep(this.readDelayMs);
    return entry;
  }
  override async set(key: string, entry: StoredEntry): Promise<void> {
    this.#enter();
    return super.set(key, entry);
  }
  override async delete(key: string): Promise<boolean> {
    this.#enter();
    return super.delete(key);
  }
  override async incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    this.#enter();
    return super.incr(key, by, expiresAtIfCreated);
  }
  updateDelayMs = 0;
  override async update(key: string, fn: Parameters<MemoryTier["update"]>[1]): Promise<void> {
    this.#enter();
    if (this.updateDelayMs) await sleep(this.updateDelayMs);
    return super.update(key, fn);
  }
  override async size(): Promise<{ entries: number; bytes: number }> {
    this.#enter();
    return super.size();
  }
}

/** A bus end whose sending can be refused while it keeps receiving (a publisher reconnecting on its own). */
function refusingSender(end: InProcessBusEnd): CacheBus & { refuse: boolean } {
  return {
    refuse: false,
    get connected() {
      return end.connected;
    },
    publish(message) {
      return this.refuse ? Promise.reject(new BackendUnavailableError("publisher away (test)")) : end.publish(message);
    },
    subscribe: (handler) => end.subscribe(handler),
    onReconnect: (handler) => end.onReconnect(handler),
    onDisconnect: (handler) => end.onDisconnect(handler),
    close: () => end.close(),
  };
}

async function expectUnavailable(action: Promise<unknown>): Promise<void> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStowageError(error, "ERR_BACKEND_UNAVAILABLE"), String(error)).toBe(true);
}

describe("hybrid cache (in-process bus, memory L2)", () => {
  const opened: HybridCache[] = [];
  const instance = (l2: CacheDriver, bus?: InProcessBusEnd, options: Partial<HybridCacheOptions> = {}) => {
    const cache = createHybridCache({ l2, ...(bus ? { bus } : {}), namespace: "t", ...options });
    opened.push(cache);
    return cache;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((cache) => cache.close()));
  });

  it("a read that misses L1 fills it from L2 with L2's remaining TTL", async () => {
    const l2 = new SharedL2();
    const writer = instance(l2);
    const reader = instance(l2);
    await writer.set("k", { v: 1 }, { ttl: 5_000 });
    await sleep(50);
    expect(await reader.get("k")).toEqual({ v: 1 });
    const local = await reader.tiers.l1.get("k");
    const remote = await l2.get("k");
    expect(local?.expiresAt).toBe(remote?.expiresAt);
    const callsBefore = l2.calls;
    expect(await reader.get("k")).toEqual({ v: 1 });
    expect(l2.calls).toBe(callsBefore);
    const stats = await reader.stats();
    expect([stats.l2Hits, stats.l1Hits]).toEqual([1, 1]);
  });

  it("a write in one instance drops the key from the other's L1, and the sender ignores its own message", async () => {
    const l2 = new SharedL2();
    const bus = new InProcessBus();
    const a = instance(l2, bus.connect());
    const b = instance(l2, bus.connect());
    await a.set("k", "old");
    await tick();
    expect(await b.get("k")).toBe("old");
    await a.set("k", "new");
    await tick();
    expect(await b.get("k")).toBe("new");
    await a.delete("k");
    await tick();
    expect(await b.get("k")).toBeUndefined();
    await a.incr("n");
    await tick();
    await b.get("n");
    await a.incr("n");
    await tick();
    expect(await b.get("n")).toBe(2);
    const [sa, sb] = [await a.stats(), await b.stats()];
    expect(sa.busSent).toBe(5);
    expect(sa.busReceived).toBe(0);
    expect(sb.busReceived).toBe(5);
  });

  it("clear() in one instance empties every instance's L1 of that namespace", async () => {
    const l2 = new SharedL2();
    const bus = new InProcessBus();
    const a = instance(l2, bus.connect());
    const b = instance(l2, bus.connect());
    await a.set("k", 1);
    await b.get("k");
    await a.clear();
    await tick();
    expect((await b.stats()).l1Entries).toBe(0);
    expect(await b.get("k")).toBeUndefined();
  });

  it("a bus reconnect empties L1 (messages sent while it was away are lost)", async () => {
    const l2 = new SharedL2();
    const bus = new InProcessBus();
    const endB = bus.connect();
    const a = instance(l2, bus.connect());
    const b = instance(l2, endB);
    await a.set("k", "old");
    expect(await b.get("k")).toBe("old");
    endB.disconnect();
    await a.set("k", "new"); // b misses this message
    await tick();
    expect((await b.tiers.l1.get("k")) !== undefined).toBe(true);
    endB.reconnect();
    await tick();
    expect((await b.stats()).l1Entries).toBe(0);
    expect((await b.stats()).l1Clears).toBe(1);
    expect(await b.get("k")).toBe("new");
  });

  /** Two instances on one L2 and bus, where a's messages can be refused (sender.refuse). */
  const refusingPair = () => {
    const l2 = new SharedL2();
    const bus = new InProcessBus();
    const sender = refusingSender(bus.connect());
    return { sender, a: instance(l2, sender), b: instance(l2, bus.connect()) };
  };

  it("a message the bus refuses is owed and sent again, so the other instance's L1 does not keep the old value", async () => {
    const { sender, a, b } = refusingPair();
    await a.set("k", "old");
    await a.set("j", "old");
    await tick();
    expect(await b.get("k")).toBe("old");
    expect(await b.get("j")).toBe("old");
    sender.refuse = true;
    await a.set("k", "new"); // in L2, but the message is refused
    await sleep(30);
    expect((await a.stats()).busSendErrors).toBeGreaterThan(0);
    expect(await b.get("k")).toBe("old"); // what would stay for good without the retry
    sender.refuse = false;
    await waitUntil("the owed message", async () => (await b.get("k")) === "new");
    expect(await b.get("j")).toBe("old"); // only the owed key was dropped
    expect((await b.stats()).l1Clears).toBe(0);
  });

  it("when more keys are owed than a message should carry, the retry tells the others to drop everything", async () => {
    const { sender, a, b } = refusingPair();
    await a.set("k", "old");
    await tick();
    expect(await b.get("k")).toBe("old");
    sender.refuse = true;
    for (let i = 0; i < 11; i++)
      await a.setMany(Array.from({ length: 1_000 }, (_, j) => ({ key: `bulk${i}-${j}`, value: j })));
    await sleep(30);
    sender.refuse = false;
    await waitUntil("the owed clear", async () => (await b.stats()).l1Clears === 1);
    expect((await b.stats()).l1Entries).toBe(0);
  });

  it("an L2 read that overlaps a write never puts the older value into L1", async () => {
    const l2 = new SharedL2();
    const cache = instance(l2);
    await l2.set("k", { value: new TextEncoder().encode('"old"'), expiresAt: null });
    l2.readDelayMs = 50;
    const slowRead = cache.get("k");
    await sleep(10);
    l2.readDelayMs = 0;
    await cache.set("k", "new");
    expect(await slowRead).toBe("old");
    expect(await cache.get("k")).toBe("new");
  });

  it("an invalidation that arrives during an L2 read keeps the read's answer out of L1", async () => {
    const l2 = new SharedL2();
    const bus = new InProcessBus();
    const a = instance(l2, bus.connect());
    const b = instance(l2, bus.connect());
    await a.set("k", "old");
    l2.readDelayMs = 60;
    const slowRead = b.get("k"); // reads "old" from L2, then waits
    await sleep(10);
    l2.readDelayMs = 0;
    await a.set("k", "new");
    expect(await slowRead).toBe("old");
    expect(await b.tiers.l1.get("k")).toBeUndefined();
    expect(await b.get("k")).toBe("new");
  });

  it("an L2 write that fails drops the key from this instance's L1 and rejects with ERR_BACKEND_UNAVAILABLE", async () => {
    const l2 = new SharedL2();
    const cache = instance(l2);
    await cache.set("k", "v1");
    expect(await cache.tiers.l1.get("k")).toBeDefined();
    l2.down = true;
    await expectUnavailable(cache.set("k", "v2"));
    expect(await cache.tiers.l1.get("k")).toBeUndefined();
    l2.down = false;
    expect(await cache.get("k")).toBe("v1");
  });

  it("with L2 down, reads serve L1 as stale within the grace period, then fail; the breaker stops calling L2", async () => {
    const l2 = new SharedL2();
    const bus = new InProcessBus();
    const end = bus.connect();
    const cache = instance(l2, end, { graceMs: 300, breaker: { failureThreshold: 2, openMs: 60_000 } });
    await cache.set("k", "v");
    l2.down = true;
    end.disconnect(); // the bus runs on the same server as L2
    expect(await cache.get("k")).toBe("v");
    expect(await cache.get("k")).toBe("v");
    expect(await cache.get("k")).toBe("v");
    await expectUnavailable(cache.get("absent"));
    const stats = await cache.tiers.stats();
    expect(stats.staleServes).toBe(3);
    expect(cache.tiers.breaker.state).toBe("open");
    const callsWhileOpen = l2.calls;
    await sleep(400);
    await expectUnavailable(cache.get("k"));
    expect(l2.calls).toBe(callsWhileOpen);
  });

  it("after L2 comes back, a probe closes the breaker and the same cache works again", async () => {
    const l2 = new SharedL2();
    const bus = new InProcessBus();
    const end = bus.connect();
    const cache = instance(l2, end, { graceMs: 0, breaker: { failureThreshold: 1, openMs: 100 } });
    await cache.set("k", "v");
    l2.down = true;
    end.disconnect();
    await expectUnavailable(cache.get("other"));
    expect(cache.tiers.breaker.state).toBe("open");
    await expectUnavailable(cache.set("k", "x"));
    l2.down = false;
    end.reconnect();
    await sleep(150);
    expect(cache.tiers.breaker.state).toBe("half-open");
    expect(await cache.get("k")).toBe("v");
    expect(cache.tiers.breaker.state).toBe("closed");
    await cache.set("k", "w");
    expect(await cache.get("k")).toBe("w");
  });

  it("a write-behind replay keeps a value another instance wrote after the write was queued, and counts the conflict", async () => {
    const l2 = new SharedL2();
    const options = { writeBehind: { maxEntries: 10, retryMs: 600_000 }, breaker: { failureThreshold: 1, openMs: 20 } };
    const a = instance(l2, undefined, options);
    const b = instance(l2, undefined, options);
    for (const key of ["contested", "quiet", "deleted-by-a"]) await a.set(key, "before");
    for (const key of ["contested", "quiet", "deleted-by-a"]) expect(await b.get(key)).toBe("before");
    l2.down = true;
    for (const key of ["contested", "quiet", "deleted-by-a"]) await b.set(key, "queued by b");
    await b.set("never-seen-by-b", "queued by b");
    l2.down = false;
    await a.set("contested", "newer, by a");
    await a.delete("deleted-by-a");
    await a.set("never-seen-by-b", "newer, by a");
    await sleep(30); // past b's breaker pause
    for (let i = 0; i < 100 && b.tiers.pendingWrites > 0; i++) {
      await b.get("unrelated").catch(() => {}); // an answered L2 call starts b's replay
      await sleep(10);
    }
    expect(b.tiers.pendingWrites).toBe(0);
    const text = async (key: string) => {
      const entry = await l2.get(key);
      return entry && new TextDecoder().decode(entry.value);
    };
    expect(await text("contested")).toBe('"newer, by a"');
    expect(await text("never-seen-by-b")).toBe('"newer, by a"');
    expect(await text("quiet")).toBe('"queued by b"');
    // Absent in L2 lets the replay land: a delete is indistinguishable from an L2 that lost its data.
    expect(await text("deleted-by-a")).toBe('"queued by b"');
    expect((await b.stats()).writeBehindConflicts).toBe(2);
    expect(await b.get("contested")).toBe("newer, by a");
  });

  it("a write queued behind a replay in flight replays against what that replay left in L2, not as a conflict", async () => {
    const l2 = new SharedL2();
    const b = instance(l2, undefined, {
      writeBehind: { maxEntries: 10, retryMs: 600_000 },
      breaker: { failureThreshold: 1, openMs: 20 },
    });
    await b.set("k", "before");
    l2.down = true;
    await b.set("k", "first, queued while L2 was down");
    l2.down = false;
    l2.updateDelayMs = 150;
    await sleep(30);
    await b.get("unrelated"); // L2 answers: the replay of "first" starts and takes 150 ms
    await sleep(50);
    await b.set("k", "second, queued behind the replay");
    for (let i = 0; i < 100 && b.tiers.pendingWrites > 0; i++) await sleep(20);
    expect(b.tiers.pendingWrites).toBe(0);
    expect(new TextDecoder().decode((await l2.get("k"))?.value)).toBe('"second, queued behind the replay"');
    expect((await b.stats()).writeBehindConflicts).toBe(0);
  });

  it("a bounded write-behind queue takes writes while L2 is down and replays them when it is back", async () => {
    const l2 = new SharedL2();
    const cache = instance(l2, undefined, {
      writeBehind: { maxEntries: 2, retryMs: 50 },
      breaker: { failureThreshold: 1, openMs: 50 },
    });
    await cache.set("gone", 0);
    l2.down = true;
    await cache.set("a", 1);
    await cache.delete("gone");
    expect(await cache.get("a")).toBe(1);
    expect(await cache.get("gone")).toBeUndefined();
    await expectUnavailable(cache.set("b", 2)); // a third key does not fit
    expect((await cache.tiers.stats()).writeBehindQueued).toBe(2);
    l2.down = false;
    // Before the queue drains: a newer write of a queued key queues behind it instead of racing it;
    // an atomic operation on it cannot be queued and says why.
    await cache.set("a", 3);
    await expectUnavailable(cache.incr("a"));
    for (let i = 0; i < 40 && cache.tiers.pendingWrites > 0; i++) await sleep(50);
    expect(cache.tiers.pendingWrites).toBe(0);
    expect(new TextDecoder().decode((await l2.get("a"))?.value)).toBe("3");
    expect(await l2.get("gone")).toBeUndefined();
    expect(await l2.get("b")).toBeUndefined();
  });

  it("100 concurrent getOrSet callers of one key run one load", async () => {
    const l2 = new SharedL2();
    l2.readDelayMs = 5;
    const cache = instance(l2);
    let loads = 0;
    const load = async () => {
      loads++;
      await sleep(20);
      return { computed: true };
    };
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrSet("k", load, { ttl: 10_000 })));
    expect(loads).toBe(1);
    expect(results.every((r) => r.computed)).toBe(true);
    expect((await cache.stats()).sharedLoads).toBe(99);
  });

  it("stale-while-revalidate answers at once near expiry and reloads once in the background", async () => {
    const l2 = new SharedL2();
    const cache = instance(l2, undefined, { staleWhileRevalidateMs: 2_000 });
    let version = 0;
    const load = async () => {
      version++;
      await sleep(30);
      return version;
    };
    expect(await cache.getOrSet("k", load, { ttl: 100 })).toBe(1);
    await sleep(150); // past the ttl, inside the stale window
    const answers = await Promise.all(Array.from({ length: 10 }, () => cache.getOrSet("k", load, { ttl: 100 })));
    expect(answers.every((a) => a === 1)).toBe(true);
    await sleep(80);
    expect(version).toBe(2);
    expect(await cache.getOrSet("k", load, { ttl: 100 })).toBe(2);
    expect((await cache.stats()).revalidations).toBeGreaterThanOrEqual(1);
  });

  it("the default memory L1 is bounded by entries and by bytes", async () => {
    const byEntries = instance(new SharedL2(), undefined, { l1: { maxEntries: 10 } });
    for (let i = 0; i < 50; i++) await byEntries.set(`k${i}`, i);
    expect((await byEntries.stats()).l1Entries).toBe(10);
    const byBytes = instance(new SharedL2(), undefined, { l1: { maxBytes: 10_000 } });
    for (let i = 0; i < 50; i++) await byBytes.set(`k${i}`, "x".repeat(1_000));
    const stats = await byBytes.stats();
    expect(stats.l1Bytes).toBeLessThanOrEqual(10_000);
    expect(stats.l1Entries).toBeLessThan(50);
    expect(stats.entries).toBe(50);
  });

  it("an expired entry is never returned from L1", async () => {
    const l2 = new SharedL2();
    const cache = instance(l2);
    await cache.set("k", "v", { ttl: 50 });
    await sleep(120);
    expect(await cache.get("k")).toBeUndefined();
  });

  it("a disk L1 (LMDB) keeps its entries across a restart without a bus, and is emptied at start with one", async () => {
    const scratch = await tempDir("hybrid-l1");
    const dir = scratch.path;
    const openL1 = () => createStorage({ url: `lmdb://${dir}`, namespace: "l1" });
    const l2 = new SharedL2();
    try {
      const first = await openL1();
      const before = instance(l2, undefined, { l1: first.cache });
      await before.set("k", "kept");
      await before.close();
      await first.close();

      const second = await openL1();
      const single = instance(l2, undefined, { l1: second.cache });
      const calls = l2.calls;
      expect(await single.get("k")).toBe("kept");
      expect(l2.calls).toBe(calls); // answered by the L1 that survived the restart
      await single.close();
      await second.close();

      const third = await openL1();
      const bus = new InProcessBus();
      const shared = instance(l2, bus.connect(), { l1: third.cache });
      const l1Driver = (third.cache as CacheStore).driver;
      for (let i = 0; i < 100 && (await l1Driver.size()).entries > 0; i++) await tick();
      expect((await l1Driver.size()).entries).toBe(0);
      expect(await shared.get("k")).toBe("kept"); // from L2 this time
      expect((await shared.stats()).l2Hits).toBe(1);
      await shared.close();
      await third.close();
    } finally {
      await scratch.remove();
    }
  });

  it("the hybrid+<scheme>:// URL form opens L2 by the rest of the URL and names what is wrong with its parameters", async () => {
    const storage = await createStorage("hybrid+memory://?bus=false&l1MaxEntries=100&grace=1000");
    try {
      await storage.cache.set("k", { v: 1 });
      expect(await storage.cache.get("k")).toEqual({ v: 1 });
      const health = await storage.health();
      expect(health.cache.backend).toBe("hybrid+memory");
    } finally {
      await storage.close();
    }
    const configError = async (url: string, field: RegExp) => {
      const error = await createStorage(url).then(
        async (s) => {
          await s.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      // By code: the adapter throws the built package's error classes, this test imports the sources.
      expect((error as { code?: string }).code, String(error)).toBe("ERR_CONFIG");
      expect(String((error as Error).message)).toMatch(field);
    };
    await configError("hybrid+memory://", /bus/); // memory has no bus between processes
    await configError("hybrid+memory://?bus=false&grace=soon", /grace/);
    await configError("hybrid+memory://?bus=false&l1MaxEntries=0", /l1MaxEntries/);
    await configError(
      "hybrid+memory://?bus=false&unknown=1",
      /unknown.*hybrid\+memory:\/\/ URLs also take l1MaxEntries, l1MaxSize/,
    );
    await configError("hybrid+nope://x", /after hybrid\+ must come the L2's URL.*grace.*unknown URL scheme "nope:"/);
    await configError("hybrid+sqlite:///tmp/stowage-never-opened.db", /hybrid\+redis:\/\/.*bus=false/);
    // grace=0: never serve L1 while L2 or the bus is down.
    const noGrace = await createStorage("hybrid+memory://?bus=false&grace=0");
    await noGrace.close();
  });
});
