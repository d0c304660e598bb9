import diagnostics from "node:diagnostics_channel";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
// The built package, as the adapters import it: one copy of core's error classes and channels.
import {
  CacheStore,
  createStorage,
  EVENT_CHANNELS,
  jsonCodec,
  type OperationContext,
  publishBusReconnect,
  publishCacheHit,
  type Storage,
  TRACE_CHANNELS,
} from "@stowage/core";
import { MemoryTier } from "@stowage/memory";
import { needsBinaryReason, redisTestAvailability, startStandalone, type TestServer } from "@stowage/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Channels are process-wide by name: these are the objects core publishes on.
const events = Object.values(EVENT_CHANNELS).map((name) => diagnostics.channel(name));
const traceStarts = Object.values(TRACE_CHANNELS).map((name) => diagnostics.channel(`tracing:${name}:start`));
const traces = Object.values(TRACE_CHANNELS).map((name) => diagnostics.tracingChannel(name));

const availability = await redisTestAvailability();
const redisSkip = needsBinaryReason(availability, "observability on Redis (it starts its own redis-server)");
if (redisSkip) console.warn(`[observability] ${redisSkip}`);

/** Collects every message of the plain channels and every tracing event, until stopped. */
function record() {
  const seen: { channel: string; message: Record<string, unknown> }[] = [];
  const traced: { phase: string; context: OperationContext }[] = [];
  const plain = Object.values(EVENT_CHANNELS).map((name) => {
    const listener = (message: unknown) => seen.push({ channel: name, message: message as Record<string, unknown> });
    diagnostics.subscribe(name, listener);
    return () => diagnostics.unsubscribe(name, listener);
  });
  const handlers = traces.map((trace) => {
    const h = {
      start: (context: OperationContext) => traced.push({ phase: "start", context }),
      asyncEnd: (context: OperationContext) => traced.push({ phase: "asyncEnd", context }),
      error: (context: OperationContext) => traced.push({ phase: "error", context }),
    };
    trace.subscribe(h as never);
    return () => trace.unsubscribe(h as never);
  });
  return {
    seen,
    traced,
    of: (channel: string) => seen.filter((s) => s.channel === channel).map((s) => s.message),
    stop: () => {
      for (const off of [...plain, ...handlers]) off();
    },
  };
}

let dir: string;
let redis: TestServer | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "stowage-obs-"));
  if (!redisSkip) redis = await startStandalone();
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

const backends: { name: string; url: () => string; skip?: string }[] = [
  { name: "memory", url: () => `memory://obs-${Math.random().toString(36).slice(2)}` },
  { name: "sqlite", url: () => `sqlite://${join(dir, `${Math.random().toString(36).slice(2)}.db`)}` },
  { name: "lmdb", url: () => `lmdb://${join(dir, `lmdb-${Math.random().toString(36).slice(2)}`)}` },
  { name: "fs", url: () => `file://${join(dir, `fs-${Math.random().toString(36).slice(2)}`)}` },
  {
    name: "redis",
    url: () => `${redis?.url}/0?namespace=obs-${Math.random().toString(36).slice(2)}`,
    ...(redisSkip ? { skip: redisSkip } : {}),
  },
];

for (const backend of backends) {
  describe.skipIf(backend.skip !== undefined)(`observability on ${backend.name}`, () => {
    let storage: Storage;
    beforeAll(async () => {
      storage = await createStorage(backend.url());
    });
    afterAll(async () => storage?.close());

    it("cache hit, miss, set and delete each publish { namespace, key }, getOrSet included", async () => {
      const rec = record();
      const ns = storage.cache.namespace;
      try {
        await storage.cache.set("k:1", 1);
        await storage.cache.get("k:1");
        await storage.cache.get("k:absent");
        await storage.cache.getOrSet("k:2", () => 2);
        await storage.cache.getOrSet("k:2", () => 3);
        await storage.cache.getMany(["k:1", "k:none"]);
        await storage.cache.delete("k:1");
        await storage.cache.delete("k:1");
      } finally {
        rec.stop();
      }
      expect(rec.of(EVENT_CHANNELS.cacheSet)).toEqual([
        { namespace: ns, key: "k:1" },
        { namespace: ns, key: "k:2" },
      ]);
      expect(rec.of(EVENT_CHANNELS.cacheHit)).toEqual([
        { namespace: ns, key: "k:1" },
        { namespace: ns, key: "k:2" },
        { namespace: ns, key: "k:1" },
      ]);
      expect(rec.of(EVENT_CHANNELS.cacheMiss)).toEqual([
        { namespace: ns, key: "k:absent" },
        { namespace: ns, key: "k:2" },
        { namespace: ns, key: "k:none" },
      ]);
      // The second delete removed nothing, so it is no delete event.
      expect(rec.of(EVENT_CHANNELS.cacheDelete)).toEqual([{ namespace: ns, key: "k:1" }]);
    });

    it("every operation is traced with { store, operation, namespace, target } and its result", async () => {
      const rec = record();
      try {
        await storage.cache.set("t:1", "v");
        await storage.cache.get("t:1");
      } finally {
        rec.stop();
      }
      const starts = rec.traced.filter((t) => t.phase === "start").map((t) => t.context);
      expect(starts.map((c) => [c.store, c.operation, c.target])).toEqual([
        ["cache", "set", "t:1"],
        ["cache", "get", "t:1"],
      ]);
      const ends = rec.traced.filter((t) => t.phase === "asyncEnd").map((t) => t.context);
      expect(ends.map((c) => c.result)).toEqual([undefined, "v"]);
      expect(starts[0]?.namespace).toBe(storage.cache.namespace);
    });

    it("a failing operation is published on the tracing channel's error with the error", async () => {
      const rec = record();
      try {
        await expect(storage.cache.set("", 1)).rejects.toMatchObject({ code: "ERR_INVALID_KEY" });
      } finally {
        rec.stop();
      }
      const errors = rec.traced.filter((t) => t.phase === "error");
      expect(errors).toHaveLength(1);
      expect(errors[0]?.context).toMatchObject({
        store: "cache",
        operation: "set",
        error: { code: "ERR_INVALID_KEY" },
      });
    });

    it("lock acquired, waited (with its duration), released, timeout and lost publish { namespace, name, … }; stats() counts them", async () => {
      const lock = storage.lock;
      const before = await lock.stats();
      const rec = record();
      let token: bigint;
      try {
        const first = await lock.acquire("job", { ttl: 5_000 });
        token = first.token;
        const waiting = lock.acquire("job", { ttl: 5_000, waitMs: 5_000, retryDelayMs: 5 });
        setTimeout(() => void first.release(), 30);
        const second = await waiting;
        await expect(lock.acquire("job", { ttl: 5_000, waitMs: 20, retryDelayMs: 5 })).rejects.toMatchObject({
          code: "ERR_LOCK_TIMEOUT",
        });
        await second.release();
        const short = await lock.acquire("short", { ttl: 30 });
        await new Promise((resolve) => setTimeout(resolve, 60));
        expect(await short.release()).toBe(false);
      } finally {
        rec.stop();
      }
      const ns = lock.namespace;
      const acquired = rec.of(EVENT_CHANNELS.lockAcquired);
      expect(acquired.map((m) => m.name)).toEqual(["job", "job", "short"]);
      expect(acquired[0]).toEqual({ namespace: ns, name: "job", token });
      expect(rec.of(EVENT_CHANNELS.lockReleased).map((m) => m.name)).toEqual(["job", "job"]);
      expect(rec.of(EVENT_CHANNELS.lockLost)).toMatchObject([{ namespace: ns, name: "short" }]);
      const waited = rec.of(EVENT_CHANNELS.lockWaited);
      expect(waited.map((m) => m.name)).toEqual(["job", "job"]);
      for (const m of waited) expect(m.waitedMs).toBeGreaterThan(0);
      expect(rec.of(EVENT_CHANNELS.lockTimeout)).toMatchObject([{ namespace: ns, name: "job" }]);
      const after = await lock.stats();
      expect(after.acquisitions - before.acquisitions).toBe(3);
      expect(after.releases - before.releases).toBe(2);
      expect(after.waits - before.waits).toBe(2);
      expect(after.timeouts - before.timeouts).toBe(1);
      expect(after.lost - before.lost).toBe(1);
      expect(after.waitTotalMs - before.waitTotalMs).toBeCloseTo(
        waited.reduce((sum, m) => sum + (m.waitedMs as number), 0),
        6,
      );
      expect(after.waitMaxMs).toBeGreaterThanOrEqual(Math.max(...waited.map((m) => m.waitedMs as number)));
      expect(after.operations.acquire?.count).toBeGreaterThanOrEqual(4);
      expect(after.operations.acquire?.errors).toBeGreaterThanOrEqual(1);
    });

    it("checkpoint put and deleteThread publish { namespace, threadId, … }", async () => {
      const rec = record();
      try {
        await storage.checkpoint.put({ threadId: "run-1", id: "c1", payload: { step: 1 } });
        await storage.checkpoint.deleteThread("run-1");
      } finally {
        rec.stop();
      }
      const ns = storage.checkpoint.namespace;
      expect(rec.of(EVENT_CHANNELS.checkpointPut)).toEqual([{ namespace: ns, threadId: "run-1", ns: "", id: "c1" }]);
      expect(rec.of(EVENT_CHANNELS.checkpointDelete)).toEqual([{ namespace: ns, threadId: "run-1" }]);
      const stats = await storage.checkpoint.stats();
      expect(stats.operations.put?.count).toBeGreaterThanOrEqual(1);
    });

    it("stats().operations counts each call with its latency: count, errors, total, max and cumulative buckets", async () => {
      const before = (await storage.cache.stats()).operations.has;
      for (let i = 0; i < 5; i++) await storage.cache.has(`op:${i}`);
      await expect(storage.cache.has("")).rejects.toThrow();
      const has = (await storage.cache.stats()).operations.has;
      expect(has?.count).toBe((before?.count ?? 0) + 6);
      expect(has?.errors).toBe((before?.errors ?? 0) + 1);
      expect(has?.maxMs).toBeGreaterThan(0);
      expect(has?.totalMs).toBeGreaterThanOrEqual(has?.maxMs ?? Number.POSITIVE_INFINITY);
      const buckets = has?.buckets ?? [];
      expect(buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: has?.count });
      for (let i = 1; i < buckets.length; i++)
        expect(buckets[i]?.count).toBeGreaterThanOrEqual(buckets[i - 1]?.count ?? 0);
    });

    it("with no subscriber nothing is published and no trace context is built", async () => {
      const counted = { publishes: 0, traces: 0 };
      const restore: (() => void)[] = [];
      // Own properties over the channels' methods; Node swaps a channel's prototype when it gains
      // a subscriber, so each call goes to the prototype's method of the moment, and undo deletes.
      for (const channel of events) {
        Object.defineProperty(channel, "publish", {
          configurable: true,
          value: (message: unknown) => {
            counted.publishes++;
            Object.getPrototypeOf(channel).publish.call(channel, message);
          },
        });
        restore.push(() => delete (channel as { publish?: unknown }).publish);
      }
      // A traced call enters through its start channel's runStores, with the context it built.
      for (const start of traceStarts) {
        Object.defineProperty(start, "runStores", {
          configurable: true,
          value: (...args: unknown[]) => {
            counted.traces++;
            return Object.getPrototypeOf(start).runStores.apply(start, args);
          },
        });
        restore.push(() => delete (start as { runStores?: unknown }).runStores);
      }
      const run = async () => {
        await storage.cache.set("quiet", 1);
        await storage.cache.get("quiet");
        await storage.cache.get("quiet:none");
        await storage.cache.delete("quiet");
        const lease = await storage.lock.acquire("quiet");
        await lease.release();
        await storage.checkpoint.put({ threadId: "quiet", payload: 1 });
        await storage.checkpoint.deleteThread("quiet");
      };
      try {
        await run();
        expect(counted).toEqual({ publishes: 0, traces: 0 });
        // The same calls with a subscriber do publish: the count above could have failed.
        const rec = record();
        try {
          await run();
        } finally {
          rec.stop();
        }
        // set, hit, miss, delete, acquired, released, put, delete; seven traced calls (release is the lease's).
        expect(counted).toEqual({ publishes: 8, traces: 7 });
      } finally {
        for (const undo of restore) undo();
      }
    });
  });
}

describe.skipIf(redisSkip !== undefined)(
  "backend unavailable and recovered (a Redis that is stopped and restarted)",
  () => {
    it("the first failure publishes unavailable with the error, the first success after it recovered, once each", async () => {
      const server = await startStandalone();
      const storage = await createStorage(`${server.url}/0?timeout=300&connectTimeout=300`);
      const rec = record();
      try {
        await storage.cache.set("a", 1);
        await server.stop();
        for (let i = 0; i < 2; i++)
          await expect(storage.cache.get("a")).rejects.toMatchObject({ code: "ERR_BACKEND_UNAVAILABLE" });
        await server.restart();
        let recovered = false;
        for (let i = 0; i < 100 && !recovered; i++) {
          recovered = await storage.cache.get("a").then(
            () => true,
            () => false,
          );
          if (!recovered) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(recovered).toBe(true);
        await storage.cache.get("a");
      } finally {
        rec.stop();
        await storage.close();
        await server.stop();
      }
      const ns = storage.cache.namespace;
      const down = rec.of(EVENT_CHANNELS.backendUnavailable);
      expect(down).toHaveLength(1);
      expect(down[0]).toMatchObject({ store: "cache", namespace: ns, error: { code: "ERR_BACKEND_UNAVAILABLE" } });
      expect(rec.of(EVENT_CHANNELS.backendRecovered)).toEqual([{ store: "cache", namespace: ns }]);
    }, 60_000);
  },
);

describe("the publish API for the two-tier cache", () => {
  it("publishCacheHit carries tier and stale; publishBusReconnect its reason; a message function runs only with a subscriber", () => {
    let built = 0;
    const message = () => {
      built++;
      return { namespace: "n", key: "k", tier: "l1" as const, stale: true };
    };
    publishCacheHit(message);
    expect(built).toBe(0);
    const rec = record();
    try {
      publishCacheHit(message);
      publishBusReconnect({ namespace: "n", reason: "connection lost" });
    } finally {
      rec.stop();
    }
    expect(built).toBe(1);
    expect(rec.of(EVENT_CHANNELS.cacheHit)).toEqual([{ namespace: "n", key: "k", tier: "l1", stale: true }]);
    expect(rec.of(EVENT_CHANNELS.busReconnect)).toEqual([{ namespace: "n", reason: "connection lost" }]);
  });

  it("a driver that publishes its own reads (publishesReads) gets no second hit/miss from the store; sets still come from the store", async () => {
    class TieredDriver extends MemoryTier {
      readonly publishesReads = true;
    }
    const handle = { health: async () => ({ ok: true, backend: "test", latencyMs: 0 }), release: async () => {} };
    const own = new CacheStore(new TieredDriver(), handle, { namespace: "t", codec: jsonCodec, maxValueBytes: 1024 });
    const plain = new CacheStore(new MemoryTier(), handle, { namespace: "p", codec: jsonCodec, maxValueBytes: 1024 });
    const rec = record();
    try {
      for (const cache of [own, plain]) {
        await cache.set("k", 1);
        await cache.get("k");
        await cache.get("none");
      }
    } finally {
      rec.stop();
    }
    expect([...rec.of(EVENT_CHANNELS.cacheHit), ...rec.of(EVENT_CHANNELS.cacheMiss)].map((m) => m.namespace)).toEqual([
      "p",
      "p",
    ]);
    expect(rec.of(EVENT_CHANNELS.cacheSet).map((m) => m.namespace)).toEqual(["t", "p"]);
  });

  it("the channel names are the documented ones", () => {
    expect(TRACE_CHANNELS.cache).toBe("stowage:cache:operation");
    expect(EVENT_CHANNELS.cacheHit).toBe("stowage:cache:hit");
    expect(Object.values(EVENT_CHANNELS).every((name) => name.startsWith("stowage:"))).toBe(true);
  });
});
