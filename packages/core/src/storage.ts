import { CacheStore, DEFAULT_MAX_VALUE_BYTES } from "./cache/cache-store.js";
import { CheckpointStore, DEFAULT_CHECKPOINT_TTL_MS } from "./checkpoint/checkpoint-store.js";
import { resolveCodec } from "./codecs/index.js";
import { configFromEnv } from "./config/env-config.js";
import { parseMultiHostUrl } from "./config/multi-host-url.js";
import { parseByteSize, parseDuration } from "./config/params.js";
import { adapterFor } from "./config/registry.js";
import type { StorageConfig, StoreConfig } from "./config/store-config.js";
import type { Cache, CheckpointStore as CheckpointStoreContract, Lock } from "./contracts.js";
import type { Backend, BackendHealth } from "./drivers/backend.js";
import { ConfigError, type InvalidArgumentError } from "./errors.js";
import { assertNamespace } from "./keys.js";
import { LOCK_DEFAULTS, LockStore } from "./lock/lock-store.js";
import { instrument } from "./observability/instrument.js";
import type { BackendHandle } from "./store-base.js";

/** A cache, a lock and a checkpoint store, opened together and closed together. */
export interface Storage extends AsyncDisposable {
  readonly cache: Cache;
  readonly lock: Lock;
  readonly checkpoint: CheckpointStoreContract;
  /** Health of each store's backend; never throws. */
  health(): Promise<{ ok: boolean; cache: BackendHealth; lock: BackendHealth; checkpoint: BackendHealth }>;
  /** Closes the three stores and every backend they opened. */
  close(): Promise<void>;
}

const CORE_PARAMS = ["namespace", "codec", "ttl", "maxSize", "maxValueBytes", "waitMs"] as const;

type StoreKind = "cache" | "lock" | "checkpoint";

interface ResolvedStore {
  kind: StoreKind;
  url: URL;
  /** The URL without core's parameters: stores with the same one share a backend. */
  backendKey: string;
  params: URLSearchParams;
  namespace: string;
  codec: ReturnType<typeof resolveCodec>;
  defaultTtl: number | undefined;
  maxSizeBytes: number | undefined;
  maxValueBytes: number;
  waitMs: number;
  options: Record<string, unknown>;
}

function parseUrl(raw: unknown, field: string): URL {
  if (typeof raw !== "string" || raw.trim() === "")
    throw new ConfigError(field, "must be a non-empty URL string such as sqlite:///var/lib/app/stowage.db");
  try {
    return parseMultiHostUrl(raw);
  } catch (error) {
    throw new ConfigError(field, `is not a URL: ${JSON.stringify(raw)}`, { cause: error });
  }
}

function resolveStore(kind: StoreKind, input: string | StoreConfig | undefined, shared: StorageConfig): ResolvedStore {
  const config: StoreConfig =
    typeof input === "string"
      ? { url: input }
      : (input ?? (shared.url !== undefined ? { url: shared.url } : ({} as StoreConfig)));
  if (typeof config !== "object" || config === null) throw new ConfigError(kind, "must be a URL string or { url, … }");
  const url = parseUrl(config.url, `${kind}.url`);
  const params = new URLSearchParams(url.search);
  const take = (name: (typeof CORE_PARAMS)[number]) => {
    const value = params.get(name);
    params.delete(name);
    return value ?? undefined;
  };
  const namespace = config.namespace ?? take("namespace") ?? shared.namespace ?? "default";
  try {
    assertNamespace(namespace, `${kind}.namespace`);
  } catch (error) {
    throw new ConfigError(`${kind}.namespace`, (error as InvalidArgumentError).message);
  }
  const codec = resolveCodec(config.codec ?? take("codec") ?? shared.codec, `${kind}.codec`);
  // Each setting: the object form wins, then the URL parameter, then the store kind's default.
  const setting = <T>(
    given: string | number | undefined,
    param: (typeof CORE_PARAMS)[number],
    parse: (raw: string | number, field: string) => number,
    fallback: T,
  ): number | T => {
    const raw = take(param);
    if (given !== undefined) return parse(given, `${kind}.${param === "ttl" ? "defaultTtl" : param}`);
    return raw !== undefined ? parse(raw, `${kind}.url ${param}`) : fallback;
  };
  const kindTtl =
    kind === "checkpoint" ? DEFAULT_CHECKPOINT_TTL_MS : kind === "lock" ? LOCK_DEFAULTS.defaultTtl : undefined;
  const defaultTtl = setting(config.defaultTtl, "ttl", parseDuration, kindTtl);
  const maxSizeBytes = setting(config.maxSize, "maxSize", parseByteSize, undefined);
  const maxValueBytes = setting(config.maxValueBytes, "maxValueBytes", parseByteSize, DEFAULT_MAX_VALUE_BYTES);
  const waitMs = setting(config.waitMs, "waitMs", parseDuration, LOCK_DEFAULTS.defaultWaitMs);
  const keyUrl = new URL(url.href);
  keyUrl.search = params.toString();
  const options = config.options ?? {};
  return {
    kind,
    url,
    backendKey: `${keyUrl.href}#${JSON.stringify(options)}#${maxSizeBytes ?? ""}`,
    params,
    namespace,
    codec,
    defaultTtl,
    maxSizeBytes,
    maxValueBytes,
    waitMs,
    options,
  };
}

/** Counts the stores using a backend and closes it when the last one lets go. */
function shareBackend(backend: Backend, users: number): BackendHandle {
  let left = users;
  return {
    health: () => backend.health(),
    release: async () => {
      left--;
      if (left === 0) await backend.close();
    },
  };
}

async function openBackend(store: ResolvedStore): Promise<Backend> {
  const scheme = store.url.protocol.replace(/:$/, "");
  const adapter = await adapterFor(scheme, `${store.kind}.url`);
  return adapter.open({
    url: store.url,
    params: store.params,
    options: store.options,
    ...(store.maxSizeBytes !== undefined ? { maxSizeBytes: store.maxSizeBytes } : {}),
  });
}

/** Wraps opened drivers in the three stores: the one place that builds stores from a backend. */
function buildStores(stores: ResolvedStore[], backends: Map<string, Backend>): Storage {
  const users = new Map<string, number>();
  for (const store of stores) users.set(store.backendKey, (users.get(store.backendKey) ?? 0) + 1);
  const handles = new Map<string, BackendHandle>();
  for (const [key, backend] of backends) handles.set(key, shareBackend(backend, users.get(key) ?? 1));
  const [cacheCfg, lockCfg, checkpointCfg] = stores as [ResolvedStore, ResolvedStore, ResolvedStore];
  const backendOf = (s: ResolvedStore) => backends.get(s.backendKey) as Backend;
  const handleOf = (s: ResolvedStore) => handles.get(s.backendKey) as BackendHandle;
  const cache = new CacheStore(backendOf(cacheCfg).cache(cacheCfg.namespace), handleOf(cacheCfg), {
    namespace: cacheCfg.namespace,
    codec: cacheCfg.codec,
    maxValueBytes: cacheCfg.maxValueBytes,
    ...(cacheCfg.maxSizeBytes !== undefined ? { maxSizeBytes: cacheCfg.maxSizeBytes } : {}),
    ...(cacheCfg.defaultTtl !== undefined ? { defaultTtl: cacheCfg.defaultTtl } : {}),
  });
  const lock = new LockStore(backendOf(lockCfg).lock(lockCfg.namespace), handleOf(lockCfg), {
    namespace: lockCfg.namespace,
    defaultTtl: lockCfg.defaultTtl ?? LOCK_DEFAULTS.defaultTtl,
    defaultWaitMs: lockCfg.waitMs,
    retryDelayMs: LOCK_DEFAULTS.retryDelayMs,
  });
  const checkpoint = new CheckpointStore(
    backendOf(checkpointCfg).checkpoint(checkpointCfg.namespace),
    handleOf(checkpointCfg),
    {
      namespace: checkpointCfg.namespace,
      codec: checkpointCfg.codec,
      maxValueBytes: checkpointCfg.maxValueBytes,
      ...(checkpointCfg.defaultTtl !== undefined ? { defaultTtl: checkpointCfg.defaultTtl } : {}),
    },
  );
  instrument(cache, "cache");
  instrument(lock, "lock");
  instrument(checkpoint, "checkpoint");
  const close = async () => {
    await Promise.all([cache.close(), lock.close(), checkpoint.close()]);
  };
  return {
    cache,
    lock,
    checkpoint,
    async health() {
      const [c, l, k] = await Promise.all([cache.health(), lock.health(), checkpoint.health()]);
      return { ok: c.ok && l.ok && k.ok, cache: c, lock: l, checkpoint: k };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Opens a cache, a lock and a checkpoint store. Give one URL for all three, an object with a
 * URL (or { url, … }) per store, or nothing to read the environment (STOWAGE_URL, …; SQLite in
 * ./.stowage/ when nothing is set). A bad URL or option is a ConfigError naming the field.
 */
export async function createStorage(input?: string | StorageConfig): Promise<Storage> {
  const config: StorageConfig =
    input === undefined ? configFromEnv() : typeof input === "string" ? { url: input } : input;
  if (typeof config !== "object" || config === null)
    throw new ConfigError("config", "must be a URL string or an object");
  const stores = (["cache", "lock", "checkpoint"] as const).map((kind) => {
    if (config[kind] === undefined && config.url === undefined) {
      throw new ConfigError(kind, `no URL: give ${kind}: "scheme://…" or url for all three stores`);
    }
    return resolveStore(kind, config[kind], config);
  });
  const backends = new Map<string, Backend>();
  try {
    for (const store of stores) {
      if (!backends.has(store.backendKey)) backends.set(store.backendKey, await openBackend(store));
    }
  } catch (error) {
    await Promise.allSettled([...backends.values()].map((backend) => backend.close()));
    throw error;
  }
  return buildStores(stores, backends);
}

/**
 * Builds the three stores over a backend you opened yourself (an adapter's own factory uses
 * this), all in one namespace unless `namespace` says otherwise.
 */
export function storageFromBackend(
  backend: Backend,
  options: {
    namespace?: string;
    codec?: "json" | "msgpack";
    cacheTtl?: number;
    checkpointTtl?: number;
    /** Largest encoded value of the cache and checkpoint stores; DEFAULT_MAX_VALUE_BYTES when left out. */
    maxValueBytes?: number;
  } = {},
): Storage {
  const namespace = options.namespace ?? "default";
  assertNamespace(namespace);
  const base = {
    url: new URL("backend:"),
    backendKey: "backend",
    params: new URLSearchParams(),
    namespace,
    codec: resolveCodec(options.codec),
    maxSizeBytes: undefined,
    maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    waitMs: LOCK_DEFAULTS.defaultWaitMs,
    options: {},
  };
  const stores: ResolvedStore[] = [
    { ...base, kind: "cache", defaultTtl: options.cacheTtl },
    { ...base, kind: "lock", defaultTtl: LOCK_DEFAULTS.defaultTtl },
    { ...base, kind: "checkpoint", defaultTtl: options.checkpointTtl ?? DEFAULT_CHECKPOINT_TTL_MS },
  ];
  return buildStores(stores, new Map([["backend", backend]]));
}
