import { type Storage, type StowageAdapter, storageFromBackend } from "@stowage/core";
import { FsBackend, type FsBackendOptions, openFsBackend } from "./backend.js";

export { FsBackend, type FsBackendOptions } from "./backend.js";

/** Opens `file:` URLs for createStorage. */
export const adapter: StowageAdapter = {
  schemes: ["file"],
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: true, prunedBlobsLinger: true },
  open: async (options) => openFsBackend(options),
};

/** A storage in plain files under `dir`: one directory per namespace, shared safely by every process on the machine. */
export function createFsStorage(
  options: FsBackendOptions & {
    namespace?: string;
    codec?: "json" | "msgpack";
    cacheTtl?: number;
    checkpointTtl?: number;
  },
): Storage {
  const { dir, fsync, maxSizeBytes, sweepEveryMs, readCacheBytes, ...rest } = options;
  const backend = new FsBackend({
    dir,
    ...(fsync !== undefined ? { fsync } : {}),
    ...(maxSizeBytes !== undefined ? { maxSizeBytes } : {}),
    ...(sweepEveryMs !== undefined ? { sweepEveryMs } : {}),
    ...(readCacheBytes !== undefined ? { readCacheBytes } : {}),
  });
  return storageFromBackend(backend, rest);
}
