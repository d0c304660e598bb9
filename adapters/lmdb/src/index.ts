import { resolve } from "node:path";
import {
  type Durability,
  localPathFromUrl,
  type Storage,
  type StowageAdapter,
  storageFromBackend,
} from "@stowage/core";
import { LmdbBackend, openLmdbBackend } from "./backend.js";
import { readOptions, type SyncMode } from "./options.js";

export { LmdbBackend } from "./backend.js";
export type { LmdbOptions, SyncMode } from "./options.js";

/** Opens `lmdb:///absolute/dir` (or `lmdb:relative/dir`) URLs for createStorage. */
export const adapter: StowageAdapter = {
  schemes: ["lmdb"],
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: true },
  open: ({ url, params, options, maxSizeBytes }) =>
    openLmdbBackend(localPathFromUrl(url), readOptions(params, options), maxSizeBytes),
};

/** A storage in an LMDB environment in `path` (a directory, created owner-only when missing). */
export function createLmdbStorage(options: {
  path: string;
  namespace?: string;
  codec?: "json" | "msgpack";
  cacheTtl?: number;
  checkpointTtl?: number;
  /** Cache size limit in bytes per namespace; least recently used entries go past it. */
  maxSizeBytes?: number;
  /** "process" (default) or "full": core's durability levels (README "Durability"). */
  durability?: Durability;
  /** lmdb's own name for the choice, with its extra modes "overlapping" and "off"; not with durability. */
  sync?: SyncMode;
  /** Initial map size in bytes (it grows as needed). */
  mapSize?: number;
  /** Sweep interval for expired entries, in ms (default 60 000). */
  sweepEveryMs?: number;
  /** How long a write waits for another process's write transaction, in ms (default 5 000). */
  timeout?: number;
}): Storage {
  const { path, namespace, codec, cacheTtl, checkpointTtl, maxSizeBytes, ...lmdbOptions } = options;
  const backend = new LmdbBackend(resolve(path), readOptions(new URLSearchParams(), lmdbOptions), maxSizeBytes);
  return storageFromBackend(backend, {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(codec !== undefined ? { codec } : {}),
    ...(cacheTtl !== undefined ? { cacheTtl } : {}),
    ...(checkpointTtl !== undefined ? { checkpointTtl } : {}),
  });
}
