import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../errors.js";
import { parseByteSize, parseChoice, parseDuration } from "./params.js";
import type { StorageConfig, StoreConfig } from "./store-config.js";

/** Where the embedded default keeps its data when nothing is configured. */
export const DEFAULT_LOCAL_DIR = ".stowage";

const LOCAL_KINDS = ["sqlite", "lmdb", "file"] as const;
type LocalKind = (typeof LOCAL_KINDS)[number];

/** The URL of the embedded backend `kind` inside directory `dir`. */
export function localUrl(kind: LocalKind, dir: string): string {
  const abs = resolve(dir);
  if (kind === "file") return pathToFileURL(abs).href;
  const file = kind === "sqlite" ? join(abs, "stowage.db") : join(abs, "stowage.lmdb");
  return `${kind}://${pathToFileURL(file).pathname}`;
}

/**
 * The storage configuration the environment describes: STOWAGE_URL, STOWAGE_{CACHE,LOCK,CHECKPOINT}_URL,
 * STOWAGE_NAMESPACE, and the seed's CACHE_DIR, LOCK_DIR, CACHE_MAX_SIZE, CACHE_DEFAULT_TTL (s),
 * CACHE_CHECKPOINT_TTL (s); STOWAGE_LOCAL_BACKEND picks sqlite (default), lmdb or file for the directories.
 * With nothing set: SQLite in ./.stowage/.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const kind = env.STOWAGE_LOCAL_BACKEND
    ? parseChoice(env.STOWAGE_LOCAL_BACKEND, "STOWAGE_LOCAL_BACKEND", LOCAL_KINDS)
    : "sqlite";
  const all = env.STOWAGE_URL;
  const fallbackDir = DEFAULT_LOCAL_DIR;
  const cacheUrl = env.STOWAGE_CACHE_URL ?? all ?? localUrl(kind, env.CACHE_DIR ?? fallbackDir);
  const checkpointUrl = env.STOWAGE_CHECKPOINT_URL ?? all ?? localUrl(kind, env.CACHE_DIR ?? fallbackDir);
  const lockUrl = env.STOWAGE_LOCK_URL ?? all ?? localUrl(kind, env.LOCK_DIR ?? env.CACHE_DIR ?? fallbackDir);
  for (const [name, value] of [
    ["STOWAGE_URL", all],
    ["STOWAGE_CACHE_URL", env.STOWAGE_CACHE_URL],
    ["STOWAGE_LOCK_URL", env.STOWAGE_LOCK_URL],
    ["STOWAGE_CHECKPOINT_URL", env.STOWAGE_CHECKPOINT_URL],
  ] as const) {
    if (value !== undefined && value.trim() === "") throw new ConfigError(name, "is set but empty");
  }
  const cache: StoreConfig = { url: cacheUrl };
  if (env.CACHE_MAX_SIZE) cache.maxSize = parseByteSize(env.CACHE_MAX_SIZE, "CACHE_MAX_SIZE");
  if (env.CACHE_DEFAULT_TTL) cache.defaultTtl = parseDuration(env.CACHE_DEFAULT_TTL, "CACHE_DEFAULT_TTL", "s");
  const checkpoint: StoreConfig = { url: checkpointUrl };
  if (env.CACHE_CHECKPOINT_TTL) {
    checkpoint.defaultTtl = parseDuration(env.CACHE_CHECKPOINT_TTL, "CACHE_CHECKPOINT_TTL", "s");
  }
  const config: StorageConfig = { cache, lock: { url: lockUrl }, checkpoint };
  if (env.STOWAGE_NAMESPACE) config.namespace = env.STOWAGE_NAMESPACE;
  return config;
}
