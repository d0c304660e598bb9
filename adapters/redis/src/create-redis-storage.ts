import { parseMultiHostUrl, type Storage, storageFromBackend } from "@stowage/core";
import { RedisBackend } from "./backend.js";
import { parseRedisUrl } from "./options.js";

/** A storage on Redis from a URL plus typed options (every URL parameter may be given here instead). */
export async function createRedisStorage(options: {
  url: string;
  namespace?: string;
  codec?: "json" | "msgpack";
  cacheTtl?: number;
  checkpointTtl?: number;
  /** Key prefix before the namespace (default "stowage"). */
  prefix?: string;
  /** Command timeout in ms (default 2000). */
  timeout?: number;
  connectTimeout?: number;
}): Promise<Storage> {
  const { url, namespace, codec, cacheTtl, checkpointTtl, ...redisOptions } = options;
  const parsed = parseMultiHostUrl(url);
  const params = new URLSearchParams(parsed.search);
  const backend = await RedisBackend.open(parseRedisUrl(parsed, params, redisOptions));
  return storageFromBackend(backend, {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(codec !== undefined ? { codec } : {}),
    ...(cacheTtl !== undefined ? { cacheTtl } : {}),
    ...(checkpointTtl !== undefined ? { checkpointTtl } : {}),
  });
}
