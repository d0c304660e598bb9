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
   * prune may keep a blob no kept checkpoint names for a grace period (files: 60 s, because a put in
   * another process writes its blobs before its checkpoint); histories then never name such a version again.
   */
  prunedBlobsLinger?: boolean;
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

/** A kind of file a local backend writes, as the damaged-stores group damages it. */
export interface DamageKind {
  /** What it holds, shown in the test name: "cache entry", "database header", … One test per kind. */
  name: string;
  /**
   * True when the format checks every byte the suite flips in such a file (a checksum, or a check
   * of the structure before use), so a flip is held to the same promise as a cut: the record or
   * ERR_CORRUPT_DATA. False for bytes the format keeps unchecked, such as SQLite's and LMDB's
   * pages, where a flip may change what a read returns (see damage/damaged-stores.ts).
   */
  flipsDetected: boolean;
  /** Whether the suite also cuts such a file short; false for a second view of a file another kind covers. Default true. */
  truncate?: boolean;
  /**
   * Known ways a flipped byte in such a file kills the process (a backend's native library that
   * trusts its pages), with the reason: the suite then counts a flip that ends the reader with
   * one of those signals as the documented limitation, printed in the run, instead of a failure.
   * A cut file, or any other outcome, is still held to the promise.
   */
  flipsMayCrash?: { signals: readonly NodeJS.Signals[]; reason: string };
}

/** One file of a closed store that keeps records. */
export interface DamageableFile {
  /** The name of its DamageKind. */
  kind: string;
  /** Absolute path; a symlink is damaged in its target text. */
  path: string;
  /** Bytes [from, to) the suite flips bytes in; the whole file when left out. */
  flipRange?: readonly [number, number];
}

/** A file (or directory) of the backend's format that is not a stowage store. */
export interface ForeignStore {
  /** Shown in the test name, e.g. "another application's SQLite database". */
  name: string;
  /** Makes it inside `dir` (an empty directory) and returns the URL that would open it as a store. */
  make(dir: string): string | Promise<string>;
}

/**
 * What the damaged-stores group needs of a local backend: a store it can place, damage and reopen.
 * Workers open the URLs, so a third-party adapter lists its registration in `workerImports`.
 */
export interface DamageCapability {
  /** The URL of a store kept inside `dir`, an empty directory the suite made (e.g. `sqlite://<dir>/store.db`). */
  urlIn(dir: string): string;
  /** The kinds of file the backend writes; the store the suite writes must hold at least one of each. */
  kinds: readonly DamageKind[];
  /** Every file a closed store inside `dir` holds that keeps a record, with its kind. */
  files(dir: string): DamageableFile[];
  /** Foreign files of the same format, which opening as a store must refuse and leave byte-identical. */
  foreign: readonly ForeignStore[];
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
  /** Local backends: how to damage a store's files (registers the damaged-stores group). */
  damage?: DamageCapability;
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
