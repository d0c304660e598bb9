import type { Storage } from "@stowage/core";

/** What a backend honestly cannot do; each flag turns the matching tests into a skip whose name says why. */
export interface Capabilities {
  /** Several processes can open the backend by URL and share its data (false for memory://). */
  multiProcess: boolean;
  /** Data written by a process survives that process being killed (false for memory://). */
  survivesCrash: boolean;
  /** The backend evicts least recently used entries past a size limit (local stores). */
  sizeLimit: boolean;
}

/** One backend (or deployment) that the suite judges. */
export interface ConformanceTarget {
  /** Shown in every test name, e.g. "sqlite". */
  name: string;
  /**
   * Opens a storage for one test. `namespace` is unique to the test; `options.maxSize` asks
   * for a cache size limit in bytes (only when capabilities.sizeLimit).
   */
  open(namespace: string, options?: { maxSize?: number }): Promise<Storage>;
  /**
   * The URL worker processes pass to createStorage to reach the same data (with the
   * namespace as a `namespace=` parameter added by the suite). Required when multiProcess.
   */
  url?: string;
  /** Modules a worker process imports before opening the URL (e.g. to register a third-party adapter). */
  workerImports?: string[];
  capabilities: Capabilities;
}
