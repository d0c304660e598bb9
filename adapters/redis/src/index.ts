import type { StowageAdapter } from "@stowage/core";
import { openRedisBackend } from "./backend.js";
import { openBus } from "./bus/redis-bus.js";

export { RedisBackend } from "./backend.js";
export { openBus, RedisBus, type RedisBusOptions } from "./bus/redis-bus.js";
export { createRedisStorage } from "./create-redis-storage.js";
export type { RedisConnectionOptions, RedisTopology } from "./options.js";

/** Opens `redis:`, `rediss:`, `redis+cluster:`, `redis+sentinel:` (and their TLS forms) and `redlock:` URLs. */
export const adapter: StowageAdapter = {
  schemes: ["redis", "rediss", "redis+cluster", "rediss+cluster", "redis+sentinel", "rediss+sentinel", "redlock"],
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: false },
  openBus,
  open: (options) => openRedisBackend(options),
};
