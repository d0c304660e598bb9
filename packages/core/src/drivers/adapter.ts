import type { CacheBus } from "../bus/bus.js";
import type { Backend, BackendOpenOptions } from "./backend.js";

/** What a backend can honestly do; `stowage check` and the conformance suite run what it promises. */
export interface AdapterCapabilities {
  /** Several processes can open the backend by URL and share its data (false for memory://). */
  multiProcess: boolean;
  /** Data acknowledged to a process survives that process being killed (false for memory://). */
  survivesCrash: boolean;
  /** The cache evicts least recently used entries past a size limit in bytes (local stores). */
  sizeLimit: boolean;
  /** prune may keep a blob no kept checkpoint names for a grace period (files: 60 s). */
  prunedBlobsLinger?: boolean;
}

/** What a backend's invalidation bus opens from (the L2's own URL, its unconsumed params and options). */
export type BusOpenOptions = Pick<BackendOpenOptions, "url" | "params" | "options">;

/**
 * What an adapter package exports as `adapter`: its own description, so core's registry holds
 * only scheme → package and adding a backend is one package plus one registry line.
 */
export interface StowageAdapter {
  /** URL schemes it opens, without the colon, e.g. ["sqlite"]. */
  readonly schemes: readonly string[];
  /** What the backend promises. */
  readonly capabilities: AdapterCapabilities;
  /** The largest encoded value it accepts; core's default (64 MiB) when left out. */
  readonly maxValueBytes?: number;
  /** Opens the backend a URL names; throws ConfigError for a bad URL or option. */
  open(options: BackendOpenOptions): Promise<Backend>;
  /** Opens a bus that tells other instances which keys changed (the hybrid cache's invalidations), when the backend has one. */
  openBus?(options: BusOpenOptions): Promise<CacheBus>;
}

/**
 * What a package exports as `adapterFamily` when it opens every scheme with a prefix
 * (`hybrid+<L2 scheme>`): the adapter for one such scheme.
 */
export interface StowageAdapterFamily {
  /** The prefix, e.g. "hybrid+". */
  readonly prefix: string;
  /** The adapter of `scheme` (which starts with the prefix); throws ConfigError when the rest names none. */
  adapterFor(scheme: string, field: string): Promise<StowageAdapter>;
}
