import { describeConformance, type OpenOptions, openByUrl } from "@stowage/conformance";
// The built package, like the suite itself: errors must be the classes the suite checks against.
import { createStorage, type Storage } from "@stowage/core";
import { createHybridCache } from "@stowage/hybrid";
import { openBus } from "@stowage/redis";
import { redisTestAvailability, startStandalone, type TestServer } from "@stowage/redis/testing";
import { afterAll, describe, it } from "vitest";

// REDIS_URL first (DESIGN's order), else a redis-server started for this file.
const availability = await redisTestAvailability();
let server: TestServer | undefined;
if (availability.mode === "binary") server = await startStandalone();
afterAll(async () => server?.stop());

const redisUrl = availability.mode === "url" ? availability.url : server?.url;

/** The object form: createHybridCache over a Redis cache store and a Redis bus; locks and checkpoints are Redis's. */
async function openObjectForm(url: string, namespace: string, options: OpenOptions = {}): Promise<Storage> {
  const codec = options.codec ?? "json";
  const sized = options.maxValueBytes ? { maxValueBytes: options.maxValueBytes } : {};
  const l2 = await createStorage({
    namespace,
    cache: { url, codec, ...sized },
    lock: url,
    checkpoint: { url, codec, ...sized },
  });
  const bus = await openBus({ url: new URL(url), params: new URLSearchParams(), options: {} });
  const cache = createHybridCache({ l2: l2.cache, bus, codec, graceMs: 5_000, ...sized });
  const close = async () => {
    await cache.close();
    await bus.close();
    await l2.close();
  };
  return {
    cache,
    lock: l2.lock,
    checkpoint: l2.checkpoint,
    async health() {
      const [c, rest] = await Promise.all([cache.health(), l2.health()]);
      return { ...rest, ok: c.ok && rest.ok, cache: c };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

if (redisUrl) {
  const hybridUrl = `hybrid+${redisUrl}`;
  const capabilities = { multiProcess: true, survivesCrash: true, sizeLimit: false };
  // Cache only: locks and checkpoints of a hybrid storage are L2's own, judged by the Redis suite.
  describeConformance(
    {
      name: "hybrid (URL form, memory L1 + redis L2 + pub/sub bus)",
      url: hybridUrl,
      open: openByUrl(hybridUrl),
      capabilities,
    },
    { cache: true, lock: false, checkpoint: false },
  );
  describeConformance(
    {
      name: "hybrid (createHybridCache)",
      url: hybridUrl,
      open: (namespace, options) => openObjectForm(redisUrl, namespace, options),
      capabilities: { ...capabilities, survivesCrash: false },
    },
    { cache: true, lock: false, checkpoint: false },
  );
} else {
  const reason = availability.mode === "none" ? availability.reason : "no Redis URL";
  console.warn(`[hybrid] ${reason}`);
  describe("conformance: hybrid", () => {
    it.skip(`no Redis server: ${reason}`, () => {});
  });
}
