export type { AdapterCapabilities, BusOpenOptions, StowageAdapter, StowageAdapterFamily } from "./adapter.js";
export type { Backend, BackendHealth, BackendOpenOptions } from "./backend.js";
export type { CacheDriver, EntryUpdate, StoredEntry, SyncCacheAccess } from "./cache-driver.js";
export type {
  ChannelVersion,
  CheckpointDriver,
  CheckpointPageQuery,
  LoadedCheckpoint,
  StoredBlob,
  StoredCheckpoint,
  StoredWrite,
} from "./checkpoint-driver.js";
export type { CacheFastPaths, CodecFastPaths } from "./fast-paths.js";
export type { LeaseGrant, LockDriver } from "./lock-driver.js";
