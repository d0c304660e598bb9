import type { OpenSubject, Subject } from "../subjects/subject.js";
import { connectRedis, redisServerLabel, redisUrl, runPrefix } from "./redis-server.js";

async function openCacheable(): Promise<OpenSubject> {
  (await connectRedis()).disconnect(); // fail fast with a reason instead of a reconnect loop
  const { default: KeyvRedis } = await import("@keyv/redis");
  const { Cacheable } = await import("cacheable");
  const { Keyv } = await import("keyv");
  const namespace = runPrefix("cacheable").slice(0, -1);
  const secondary = new Keyv({ store: new KeyvRedis(redisUrl(), { namespace }), namespace });
  secondary.on("error", () => {});
  const cacheable = new Cacheable({ secondary });
  return {
    cache: {
      set: (key, value, ttlMs) => cacheable.set(key, value, ttlMs),
      get: (key) => cacheable.get(key),
      getOrSet: (key, load, ttlMs) => cacheable.getOrSet(key, async () => load(), { ttl: ttlMs }),
    },
    async close() {
      await secondary.clear();
      await cacheable.disconnect();
    },
  };
}

/** cacheable: an in-memory primary in front of Keyv on Redis (two tiers, no bus). */
export const cacheablePeer: Subject = {
  name: "cacheable",
  kind: "peer",
  capabilities: ["cache"],
  open: openCacheable,
  server: redisServerLabel,
};
