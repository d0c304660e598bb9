import type { OpenSubject, Subject } from "../subjects/subject.js";
import { connectRedis, deleteByPrefix, redisServerLabel, runPrefix } from "./redis-server.js";

async function openBentocache(): Promise<OpenSubject> {
  const { BentoCache, bentostore } = await import("bentocache");
  const { memoryDriver } = await import("bentocache/drivers/memory");
  const { redisBusDriver, redisDriver } = await import("bentocache/drivers/redis");
  const client = await connectRedis();
  const busClient = client.duplicate();
  const prefix = runPrefix("bentocache").slice(0, -1);
  const bento = new BentoCache({
    default: "tiered",
    prefix,
    stores: {
      tiered: bentostore()
        .useL1Layer(memoryDriver({ maxSize: "200mb" }))
        .useL2Layer(redisDriver({ connection: client }))
        .useBus(redisBusDriver({ connection: busClient })),
    },
  });
  return {
    cache: {
      set: (key, value, ttlMs) => bento.set({ key, value, ttl: ttlMs }),
      get: (key) => bento.get({ key }),
      getOrSet: (key, load, ttlMs) => bento.getOrSet({ key, factory: load, ttl: ttlMs }),
    },
    async close() {
      try {
        await deleteByPrefix(client, prefix);
      } finally {
        await bento.disconnectAll().catch(() => {});
        client.disconnect();
        busClient.disconnect();
      }
    },
  };
}

/** bentocache: memory L1, Redis L2 and a Redis bus, like stowage's hybrid cache. */
export const bentocachePeer: Subject = {
  name: "bentocache",
  kind: "peer",
  capabilities: ["cache"],
  open: openBentocache,
  server: redisServerLabel,
};
