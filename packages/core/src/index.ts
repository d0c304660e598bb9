export { type BusMessage, type CacheBus, parseBusMessage } from "./bus/bus.js";
export { BusListeners } from "./bus/bus-listeners.js";
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
export { DEFAULT_DURABILITY, DURABILITY_LEVELS, type Durability, parseDurability } from "./config/durability.js";
export { configFromEnv, DEFAULT_LOCAL_DIR, localUrl } from "./config/env-config.js";
export { localPathFromUrl } from "./config/local-path.js";
export { parseMultiHostUrl, urlHosts } from "./config/multi-host-url.js";
export { assertKnownParams, parseBoolean, parseByteSize, parseChoice, parseDuration } from "./config/params.js";
export {
  adapterFor,
  type BackendDescription,
  describeBackend,
  knownSchemes,
  packageFor,
  registerAdapter,
} from "./config/registry.js";
export type { StorageConfig, StoreConfig } from "./config/store-config.js";
export type * from "./contracts.js";
export { addToCounter, decodeCounter, encodeCounter } from "./counter-text.js";
export { type CheckpointRowText, checkpointRowText } from "./drivers/checkpoint-row.js";
export { type DriverEdge, driverMembers, wrapDriver } from "./drivers/driver-edge.js";
export type * from "./drivers/index.js";
export * from "./errors.js";
export { Interrupt, Interrupted } from "./interrupt.js";
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
export { FairWaits, type QueueState, WAITER_PLACE_MS, type WaiterQueue } from "./lock/fair-waits.js";
export { EPOCH_NAME, EPOCH_NAMESPACE, epochFloor, TOKENS_PER_EPOCH } from "./lock/fence-epoch.js";
export { FifoWakeChannel } from "./lock/fifo-wake-channel.js";
export { LeaseHandle, type LeaseObserver } from "./lock/lease-handle.js";
export { LOCK_DEFAULTS, LockStore, type LockStoreOptions } from "./lock/lock-store.js";
export { ReleaseSignal, sleepUntilWoken, type WakeSource } from "./lock/release-signal.js";
export {
  WAKE_ADDRESS,
  type WakeChannel,
  WakeListeners,
} from "./lock/wake-channel.js";
export {
  type BackendMessage,
  type BusReconnectMessage,
  type CacheHitMessage,
  type CacheMissMessage,
  type CacheWriteMessage,
  type CheckpointMessage,
  EVENT_CHANNELS,
  type LockMessage,
  type LockWaitedMessage,
  type OperationContext,
  type StoreKind,
  TRACE_CHANNELS,
} from "./observability/channels.js";
export { instrument, TRACED_OPERATIONS } from "./observability/instrument.js";
export { LATENCY_BUCKETS_MS, OperationStats } from "./observability/operation-stats.js";
export {
  publishBusReconnect,
  publishCacheDelete,
  publishCacheHit,
  publishCacheMiss,
  publishCacheSet,
} from "./observability/publish.js";
export { createStorage, type Storage, storageFromBackend } from "./storage.js";
export type { BackendHandle } from "./store-base.js";
export { assertTtl, expiresAtFor, isExpired, MAX_TTL_MS, remainingMs } from "./ttl.js";
export { assertWeightFits } from "./value-size.js";
