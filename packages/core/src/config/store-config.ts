import type { Codec } from "../codecs/codec.js";

/** One store's configuration in object form; every field but `url` may also be a URL parameter. */
export interface StoreConfig {
  /** e.g. "sqlite:///var/lib/app/stowage.db", "redis://localhost:6379/0". */
  url: string;
  /** Keys of two namespaces never meet; default "default". */
  namespace?: string;
  /** "json" (default), "msgpack", or your own Codec. */
  codec?: "json" | "msgpack" | Codec;
  /** Default TTL in ms (cache: none; checkpoint: 7 days; lock: 30 s lease). */
  defaultTtl?: number;
  /** Size limit in bytes for local stores, evicting least recently used entries past it. */
  maxSize?: number;
  /** Largest encoded value in bytes: a cache entry, or a checkpoint payload, blob or pending write (default 64 MiB). */
  maxValueBytes?: number;
  /** Lock: default wait bound in ms (default 10 s). */
  waitMs?: number;
  /** Adapter-specific options (override URL parameters). */
  options?: Record<string, unknown>;
}

/** The whole storage: a URL (or object) per store, or `url` for all three. */
export interface StorageConfig {
  url?: string;
  namespace?: string;
  codec?: "json" | "msgpack" | Codec;
  cache?: string | StoreConfig;
  lock?: string | StoreConfig;
  checkpoint?: string | StoreConfig;
}
