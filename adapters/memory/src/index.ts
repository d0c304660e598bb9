import { type Storage, type StowageAdapter, storageFromBackend } from "@stowage/core";
import { MemoryBackend, openMemoryBackend } from "./backend.js";

export { MemoryBackend } from "./backend.js";
export { MemoryCacheDriver } from "./cache.js";
export { MemoryCheckpointDriver } from "./checkpoint.js";
export { MemoryLockDriver } from "./lock.js";
export { MEMORY_TIER_DEFAULTS, MemoryTier, type MemoryTierOptions } from "./memory-tier.js";

/** Opens `memory:` URLs for createStorage. */
export const adapter: StowageAdapter = {
  schemes: ["memory"],
  capabilities: { multiProcess: false, survivesCrash: false, sizeLimit: true },
  open: async (options) => openMemoryBackend(options),
};

/** A storage held in this process only: for tests, and as the L1 tier of a hybrid cache. */
export function createMemoryStorage(
  options: {
    namespace?: string;
    maxSizeBytes?: number;
    codec?: "json" | "msgpack";
    cacheTtl?: number;
    checkpointTtl?: number;
  } = {},
): Storage {
  const { maxSizeBytes, ...rest } = options;
  return storageFromBackend(new MemoryBackend(maxSizeBytes !== undefined ? { maxSizeBytes } : {}), rest);
}
