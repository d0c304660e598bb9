import { createStorage, type Storage } from "@stowage/core";

/** What a backend honestly cannot do; each flag turns the matching tests into a skip whose name says why. */
export interface Capabilities {
  /** Several processes can open the backend by URL and share its data (false for memory://). */
  multiProcess: boolean;
  /** Data acknowledged to a process survives that process being killed (false for memory://). */
  survivesCrash: boolean;
  /** The cache evicts least recently used entries past a size limit in bytes (local stores). */
  sizeLimit: boolean;
  /**
   * The largest encoded value (cache entry, checkpoint payload, blob, pending write) the target
   * accepts as `open` opens it; core's default (DEFAULT_MAX_VALUE_BYTES, 64 MiB) when left out.
   */
  maxValueBytes?: number;
}

/** Per-test options the suite asks `open` for. */
export interface OpenOptions {
  /** Cache size limit in bytes (asked only when capabilities.sizeLimit). */
  maxSize?: number;
  /** Codec of the cache and checkpoint stores; "json" when left out. */
  codec?: "json" | "msgpack";
  /** A lower maximum value size for the cache and checkpoint stores (the value edge group tests the edge at 1 MiB). */
  maxValueBytes?: number;
}

/** One backend (or deployment) that the suite judges. */
export interface ConformanceTarget {
  /** Shown in every test name, e.g. "sqlite". */
  name: string;
  /**
   * Opens a storage on the same data every time (same file, directory or server), separated
   * from other tests only by `namespace`, which is unique to the test.
   */
  open(namespace: string, options?: OpenOptions): Promise<Storage>;
  /** The URL worker processes open to reach the same data (the suite adds `namespace=`). Required when multiProcess. */
  url?: string;
  /** Modules a worker process imports before opening the URL (e.g. to register a third-party adapter). */
  workerImports?: string[];
  capabilities: Capabilities;
}

/** The usual `open` for a backend reachable by URL: all three stores on `url`, in the test's namespace. */
export function openByUrl(url: string): ConformanceTarget["open"] {
  return (namespace, options = {}) =>
    createStorage({
      namespace,
      cache: {
        url,
        ...(options.codec ? { codec: options.codec } : {}),
        ...(options.maxSize ? { maxSize: options.maxSize } : {}),
        ...(options.maxValueBytes ? { maxValueBytes: options.maxValueBytes } : {}),
      },
      lock: url,
      checkpoint: {
        url,
        ...(options.codec ? { codec: options.codec } : {}),
        ...(options.maxValueBytes ? { maxValueBytes: options.maxValueBytes } : {}),
      },
    });
}
