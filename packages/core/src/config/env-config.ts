import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../errors.js";
import { parseByteSize, parseChoice, parseSeconds } from "./params.js";
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
 * CACHE_CHECKPOINT_TTL (seconds, as parseSeconds reads them; CACHE_DEFAULT_TTL=0 is no expiry);
 * an empty value is an error; STOWAGE_LOCAL_BACKEND picks sqlite (default), lmdb or file for the directories.
 * With nothing set: SQLite in ./.stowage/.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  for (const name of EMPTY_IS_AN_ERROR) {
    const value = env[name];
    if (value !== undefined && value.trim() === "") throw new ConfigError(name, "is set but empty");
  }
  const kind = env.STOWAGE_LOCAL_BACKEND
    ? parseChoice(env.STOWAGE_LOCAL_BACKEND, "STOWAGE_LOCAL_BACKEND", LOCAL_KINDS)
    : "sqlite";
  const all = env.STOWAGE_URL;
  const fallbackDir = DEFAULT_LOCAL_DIR;
  const cacheUrl = env.STOWAGE_CACHE_URL ?? all ?? localUrl(kind, env.CACHE_DIR ?? fallbackDir);
  const checkpointUrl = env.STOWAGE_CHECKPOINT_URL ?? all ?? localUrl(kind, env.CACHE_DIR ?? fallbackDir);
  const lockUrl = env.STOWAGE_LOCK_URL ?? all ?? localUrl(kind, env.LOCK_DIR ?? env.CACHE_DIR ?? fallbackDir);
  const cache: StoreConfig = { url: cacheUrl };
  if (env.CACHE_MAX_SIZE) cache.maxSize = parseByteSize(env.CACHE_MAX_SIZE, "CACHE_MAX_SIZE");
  if (env.CACHE_DEFAULT_TTL) {
    // 0 is the predecessor's "no expiry", which is also what leaving it unset means.
    const ttl = parseSeconds(env.CACHE_DEFAULT_TTL, "CACHE_DEFAULT_TTL");
    if (ttl > 0) cache.defaultTtl = ttl;
  }
  const checkpoint: StoreConfig = { url: checkpointUrl };
  if (env.CACHE_CHECKPOINT_TTL) {
    const ttl = parseSeconds(env.CACHE_CHECKPOINT_TTL, "CACHE_CHECKPOINT_TTL");
    // A store config has no "never" for checkpoints (unset is 7 days), so 0 is refused rather than guessed.
    if (ttl === 0) {
      throw new ConfigError("CACHE_CHECKPOINT_TTL", "must be more than 0 seconds; unset it for the default of 7 days");
    }
    checkpoint.defaultTtl = ttl;
  }
  const config: StorageConfig = { cache, lock: { url: lockUrl }, checkpoint };
  if (env.STOWAGE_NAMESPACE) config.namespace = env.STOWAGE_NAMESPACE;
  return config;
}

// An empty value is a mistake in a deploy file, never "the current directory" or "the default".
const EMPTY_IS_AN_ERROR = [
  "STOWAGE_URL",
  "STOWAGE_CACHE_URL",
  "STOWAGE_LOCK_URL",
  "STOWAGE_CHECKPOINT_URL",
  "CACHE_DIR",
  "LOCK_DIR",
  "STOWAGE_NAMESPACE",
  "STOWAGE_LOCAL_BACKEND",
] as const;
