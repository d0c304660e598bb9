import { parseMultiHostUrl, type Storage, type StowageAdapter, storageFromBackend } from "@stowage/core";
import { openRedisBackend, RedisBackend } from "./backend.js";
import { parseRedisUrl } from "./options.js";

export { RedisBackend } from "./backend.js";
export { openBus, RedisBus, type RedisBusOptions } from "./bus/redis-bus.js";
export type { RedisConnectionOptions, RedisTopology } from "./options.js";

/** Opens `redis:`, `rediss:`, `redis+cluster:`, `redis+sentinel:` (and their TLS forms) and `redlock:` URLs. */
export const adapter: StowageAdapter = {
  schemes: ["redis", "rediss", "redis+cluster", "rediss+cluster", "redis+sentinel", "rediss+sentinel", "redlock"],
  open: (options) => openRedisBackend(options),
};

/** A storage on Redis from a URL plus typed options (every URL parameter may be given here instead). */
export async function createRedisStorage(options: {
  url: string;
  namespace?: string;
  codec?: "json" | "msgpack";
  cacheTtl?: number;
  checkpointTtl?: number;
  /** Key prefix before the namespace (default "stowage"). */
  prefix?: string;
  /** Command timeout in ms (default 2000). */
  timeout?: number;
  connectTimeout?: number;
}): Promise<Storage> {
  const { url, namespace, codec, cacheTtl, checkpointTtl, ...redisOptions } = options;
  const parsed = parseMultiHostUrl(url);
  const params = new URLSearchParams(parsed.search);
  const backend = await RedisBackend.open(parseRedisUrl(parsed, params, redisOptions));
  return storageFromBackend(backend, {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(codec !== undefined ? { codec } : {}),
    ...(cacheTtl !== undefined ? { cacheTtl } : {}),
    ...(checkpointTtl !== undefined ? { checkpointTtl } : {}),
  });
}
