export { CacheStore, type CacheStoreOptions, DEFAULT_MAX_VALUE_BYTES } from "./cache/cache-store.js";
export { SingleFlight } from "./cache/single-flight.js";
export { newCheckpointId } from "./checkpoint/checkpoint-id.js";
export {
  CheckpointStore,
  type CheckpointStoreOptions,
  DEFAULT_CHECKPOINT_TTL_MS,
} from "./checkpoint/checkpoint-store.js";
export { matchesFilter } from "./checkpoint/metadata-filter.js";
export { monotonicNow, sleep, wallNow } from "./clock.js";
export { type Codec, isPortableJson, jsonCodec, msgpackCodec, resolveCodec } from "./codecs/index.js";
export { MAX_VALUE_DEPTH } from "./codecs/value-walk.js";
export { configFromEnv, DEFAULT_LOCAL_DIR, localUrl } from "./config/env-config.js";
export { localPathFromUrl } from "./config/local-path.js";
export { parseMultiHostUrl, urlHosts } from "./config/multi-host-url.js";
export { assertKnownParams, parseBoolean, parseByteSize, parseChoice, parseDuration } from "./config/params.js";
export { adapterFor, knownSchemes, registerAdapter } from "./config/registry.js";
export type { StorageConfig, StoreConfig } from "./config/store-config.js";
export type * from "./contracts.js";
export { addToCounter, decodeCounter, encodeCounter } from "./counter-text.js";
export type * from "./drivers/index.js";
export * from "./errors.js";
export { type BusMessage, type CacheBus, parseBusMessage } from "./hybrid/bus.js";
export { BusListeners } from "./hybrid/bus-listeners.js";
export { type BreakerState, CircuitBreaker, type CircuitBreakerOptions } from "./hybrid/circuit-breaker.js";
export {
  createHybridCache,
  HybridCache,
  type HybridCacheOptions,
  type HybridCacheStats,
  type L2Store,
} from "./hybrid/hybrid-cache.js";
export { HybridCacheDriver, type HybridStats } from "./hybrid/hybrid-driver.js";
export { InProcessBus, InProcessBusEnd } from "./hybrid/in-process-bus.js";
export { MEMORY_TIER_DEFAULTS, MemoryTier, type MemoryTierOptions } from "./hybrid/memory-tier.js";
export type { JsonObject, JsonValue } from "./json.js";
export { deleteAtPath, getAtPath, MAX_PATH_SEGMENTS, type PathSegment, parseJsonPath, setAtPath } from "./json-path.js";
export { assertIdentifier, assertKey, assertKeys, assertNamespace, assertPrefix, MAX_KEY_BYTES } from "./keys.js";
export {
  ensurePrivateDir,
  ensurePrivateParent,
  makePrivate,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
} from "./local-files.js";
export { LeaseHandle } from "./lock/lease-handle.js";
export { LOCK_DEFAULTS, LockStore, type LockStoreOptions } from "./lock/lock-store.js";
export { ReleaseSignal, sleepUntilWoken, type WakeSource } from "./lock/release-signal.js";
export { WakeDirectory } from "./lock/wake-directory.js";
export { createStorage, type Storage, storageFromBackend } from "./storage.js";
export type { BackendHandle } from "./store-base.js";
export { assertTtl, expiresAtFor, isExpired, MAX_TTL_MS, remainingMs } from "./ttl.js";
export { assertWeightFits } from "./value-size.js";
