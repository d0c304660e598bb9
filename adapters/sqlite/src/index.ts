import { resolve } from "node:path";
import { ConfigError, parseByteSize, type Storage, type StowageAdapter, storageFromBackend } from "@stowage/core";
import { SqliteBackend } from "./backend.js";
import { type SqliteOptions, sqliteOptionsFrom } from "./options.js";

export { SqliteBackend } from "./backend.js";
export type { SqliteOptions, SynchronousMode } from "./options.js";

/** Opens `sqlite:///abs/path.db` and `sqlite:relative/path.db` URLs for createStorage. */
export const adapter: StowageAdapter = {
  schemes: ["sqlite"],
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: true },
  open: async (options) => new SqliteBackend(sqliteOptionsFrom(options)),
};

/** A storage in one SQLite file, shared safely by every process that opens the same path. */
export function createSqliteStorage(
  options: SqliteOptions & {
    namespace?: string;
    codec?: "json" | "msgpack";
    cacheTtl?: number;
    checkpointTtl?: number;
  },
): Storage {
  const { namespace, codec, cacheTtl, checkpointTtl, ...backendOptions } = options;
  if (typeof backendOptions.path !== "string" || backendOptions.path === "") {
    throw new ConfigError("path", "must be the path of the database file, e.g. /var/lib/app/stowage.db");
  }
  backendOptions.path = resolve(backendOptions.path);
  if (backendOptions.maxSizeBytes !== undefined) parseByteSize(backendOptions.maxSizeBytes, "maxSizeBytes");
  return storageFromBackend(new SqliteBackend(backendOptions), {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(codec !== undefined ? { codec } : {}),
    ...(cacheTtl !== undefined ? { cacheTtl } : {}),
    ...(checkpointTtl !== undefined ? { checkpointTtl } : {}),
  });
}
