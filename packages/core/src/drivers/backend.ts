import type { CacheDriver } from "./cache-driver.js";
import type { CheckpointDriver } from "./checkpoint-driver.js";
import type { LockDriver } from "./lock-driver.js";

/** What `health()` reports about one backend. */
export interface BackendHealth {
  ok: boolean;
  /** The backend kind, e.g. "sqlite", "redis". */
  backend: string;
  /** Round-trip time of a trivial operation, in ms. */
  latencyMs: number;
  /** The server or library version, when known. */
  version?: string;
  /** Why it is not ok. */
  error?: string;
  /** Anything else worth showing (path, mode, cluster nodes, …). */
  details?: Record<string, unknown>;
}

/** One opened backend (a file, a directory, a connection); it hands out drivers per namespace. */
export interface Backend {
  /** The backend kind, e.g. "sqlite". */
  readonly kind: string;
  /** Returns the cache primitives for a namespace. */
  cache(namespace: string): CacheDriver;
  /** Returns the lock primitives for a namespace. */
  lock(namespace: string): LockDriver;
  /** Returns the checkpoint primitives for a namespace. */
  checkpoint(namespace: string): CheckpointDriver;
  /** Checks reachability and reports latency and version; never throws. */
  health(): Promise<BackendHealth>;
  /** Releases files, timers and connections; further use is an ERR_CLOSED. */
  close(): Promise<void>;
}

/** Options every adapter receives when core opens it from a URL or an object. */
export interface BackendOpenOptions {
  /** The URL the user gave, parsed. */
  url: URL;
  /** Size limit in bytes for local stores (LRU eviction past it); undefined = unlimited. */
  maxSizeBytes?: number;
  /** Query-string parameters of the URL that core did not consume, for the adapter to read and validate. */
  params: URLSearchParams;
  /** Extra adapter options given in object form (overrides params). */
  options: Record<string, unknown>;
}
