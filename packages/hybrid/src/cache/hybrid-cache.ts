import type { BackendHealth, Cache, CacheBus, CacheDriver, CacheStats, Codec, SetOptions } from "@stowage/core";
import {
  assertKey,
  assertTtl,
  CacheStore,
  DEFAULT_MAX_VALUE_BYTES,
  InvalidArgumentError,
  instrument,
  remainingMs,
  resolveCodec,
  SingleFlight,
} from "@stowage/core";
import { MemoryTier, type MemoryTierOptions } from "@stowage/memory";
import type { BreakerState, CircuitBreakerOptions } from "../breaker/circuit-breaker.js";
import { HybridCacheDriver, type HybridStats } from "./hybrid-driver.js";

/** An L2 given as a store (what createStorage returns) rather than a bare driver. */
export interface L2Store {
  readonly driver: CacheDriver;
  readonly namespace?: string;
  health?(): Promise<BackendHealth>;
  close?(): Promise<void>;
}

/** Options of createHybridCache. */
export interface HybridCacheOptions {
  /** The shared tier: a cache store stowage opened (e.g. `(await createStorage("redis://…")).cache`) or a driver. */
  l2: Cache | L2Store | CacheDriver;
  /**
   * The local tier: bounds of the default memory tier, or a local store that survives restarts
   * (e.g. `(await createStorage("lmdb:///var/cache/app")).cache`, or its driver). With a bus, such
   * a store is emptied when the cache starts: invalidations sent while this process was down were lost.
   */
  l1?: Cache | CacheDriver | MemoryTierOptions;
  /** Carries invalidations between instances; leave out for a single instance. */
  bus?: CacheBus;
  /** Namespace of the bus messages; the L2 store's namespace by default. */
  namespace?: string;
  /** Must match the codec of other readers of L2 (default "json"). */
  codec?: "json" | "msgpack" | Codec;
  /** TTL (ms) of writes that give none; none = entries never expire. */
  defaultTtl?: number;
  maxValueBytes?: number;
  /** How long after L2 or the bus became unreachable L1 entries are still served, counted as stale (default 30 s). */
  graceMs?: number;
  /** Longest time an entry stays in L1 whatever its TTL (bounds staleness if a bus message is lost). */
  l1MaxTtlMs?: number;
  breaker?: CircuitBreakerOptions;
  /** While L2 is down, keep up to `maxEntries` keys of writes and replay them when it is back (default: writes fail). */
  writeBehind?: { maxEntries: number; retryMs?: number };
  /** getOrSet keeps entries this many ms past their TTL and, in that window, answers at once and reloads in the background. */
  staleWhileRevalidateMs?: number;
  /** Also close the L2 store and the bus when the cache closes (default false: whoever opened them closes them). */
  closeTiers?: boolean;
}

/** What `stats()` of a hybrid cache reports. */
export type HybridCacheStats = CacheStats &
  HybridStats & {
    /** What L2 holds. */
    entries: number;
    bytes: number;
    l1Entries: number;
    l1Bytes: number;
    breaker: BreakerState;
    busConnected: boolean | undefined;
    /** getOrSet answers served stale while a background reload ran. */
    revalidations: number;
  };

const isDriver = (l2: L2Store | CacheDriver): l2 is CacheDriver => !("driver" in l2);

/** The store or driver behind `l2`: the hybrid needs entries with their expiry, which only a driver gives. */
function asTier(l2: unknown): L2Store | CacheDriver {
  if (typeof l2 === "object" && l2 !== null) {
    if ("driver" in l2 && typeof (l2 as L2Store).driver?.get === "function") return l2 as L2Store;
    if (typeof (l2 as CacheDriver).update === "function" && typeof (l2 as CacheDriver).get === "function")
      return l2 as CacheDriver;
  }
  throw new InvalidArgumentError(
    "l2 must be a cache store opened by stowage (createStorage(…).cache) or a CacheDriver",
  );
}

/** A cache with a local tier in front of a shared one, kept honest across instances by a bus. */
export class HybridCache extends CacheStore {
  readonly tiers: HybridCacheDriver;
  readonly #codec: Codec;
  readonly #defaultTtl: number | undefined;
  readonly #swrMs: number | undefined;
  readonly #refreshes = new SingleFlight();
  #revalidations = 0;

  constructor(
    tiers: HybridCacheDriver,
    release: () => Promise<void>,
    health: () => Promise<BackendHealth>,
    options: {
      codec: Codec;
      defaultTtl?: number | undefined;
      maxValueBytes: number;
      staleWhileRevalidateMs?: number | undefined;
    },
  ) {
    super(
      tiers,
      { health, release },
      {
        namespace: tiers.namespace,
        codec: options.codec,
        maxValueBytes: options.maxValueBytes,
        ...(options.defaultTtl !== undefined ? { defaultTtl: options.defaultTtl } : {}),
      },
    );
    if (options.staleWhileRevalidateMs !== undefined)
      assertTtl(options.staleWhileRevalidateMs, "staleWhileRevalidateMs");
    this.tiers = tiers;
    this.#codec = options.codec;
    this.#defaultTtl = options.defaultTtl;
    this.#swrMs = options.staleWhileRevalidateMs;
  }

  /**
   * Loads once per key per process. With stale-while-revalidate, an entry in its last
   * `staleWhileRevalidateMs` is returned at once while one background load replaces it.
   */
  override async getOrSet<T>(
    key: string,
    load: () => T | Promise<T>,
    options?: SetOptions & { staleWhileRevalidateMs?: number },
  ): Promise<T> {
    const swrMs = options?.staleWhileRevalidateMs ?? this.#swrMs;
    const ttl = options?.ttl ?? this.#defaultTtl;
    if (swrMs === undefined || ttl === undefined) return super.getOrSet(key, load, options);
    this.assertOpen();
    assertKey(key);
    if (typeof load !== "function") throw new InvalidArgumentError("getOrSet needs a load function");
    assertTtl(ttl);
    assertTtl(swrMs, "staleWhileRevalidateMs");
    const entry = await this.tiers.get(key);
    const refresh = () =>
      this.#refreshes.run(key, async () => {
        const value = await load();
        await this.set(key, value, { ttl: ttl + swrMs });
        return value;
      })[0];
    if (entry === undefined) return refresh();
    if (remainingMs(entry.expiresAt) <= swrMs) {
      this.#revalidations++;
      refresh().catch(() => {}); // the caller already has an answer; the next call retries
    }
    return this.#codec.decode(entry.value) as T;
  }

  override async stats(): Promise<HybridCacheStats> {
    // The tiers' counters come in through the driver's statsDetails, as for hybrid+… URLs.
    return { ...((await super.stats()) as HybridCacheStats), revalidations: this.#revalidations };
  }
}

/**
 * A two-tier cache: L1 (memory, bounded by default; or a local disk store) in front of L2
 * (usually Redis). Reads try L1, then L2; writes go to L2, then L1, then the bus.
 *
 * ```ts
 * const redis = await createStorage({ url: "redis://cache:6379", namespace: "api" });
 * const bus = await openBus({ url: new URL("redis://cache:6379"), params: new URLSearchParams(), options: {} });
 * const cache = createHybridCache({ l2: redis.cache, bus, l1: { maxEntries: 50_000 }, graceMs: 30_000 });
 * ```
 * Or by URL, with locks and checkpoints on L2: `createStorage("hybrid+redis://cache:6379?grace=30000")`.
 */
export function createHybridCache(options: HybridCacheOptions): HybridCache {
  const { bus } = options;
  const l2 = asTier(options.l2);
  const given = options.l1;
  const l1: CacheDriver =
    given === undefined || !("get" in given)
      ? new MemoryTier((given as MemoryTierOptions | undefined) ?? {})
      : "driver" in given
        ? (asTier(given) as L2Store).driver
        : (given as CacheDriver);
  const l2Driver = isDriver(l2) ? l2 : l2.driver;
  const namespace = options.namespace ?? (isDriver(l2) ? undefined : l2.namespace) ?? "default";
  const graceMs = options.graceMs ?? 30_000;
  if (!Number.isInteger(graceMs) || graceMs < 0)
    throw new InvalidArgumentError("graceMs must be a non-negative integer");
  if (options.l1MaxTtlMs !== undefined) assertTtl(options.l1MaxTtlMs, "l1MaxTtlMs");
  if (
    options.writeBehind !== undefined &&
    !(Number.isInteger(options.writeBehind.maxEntries) && options.writeBehind.maxEntries > 0)
  )
    throw new InvalidArgumentError("writeBehind.maxEntries must be a positive integer");
  const tiers = new HybridCacheDriver({
    namespace,
    l1,
    l2: l2Driver,
    bus,
    graceMs,
    l1MaxTtlMs: options.l1MaxTtlMs,
    breaker: options.breaker,
    writeBehind: options.writeBehind,
  });
  const health = async (): Promise<BackendHealth> => {
    const l2Health = !isDriver(l2) && l2.health ? await l2.health() : { ok: true, backend: "hybrid", latencyMs: 0 };
    return {
      ...l2Health,
      details: {
        ...l2Health.details,
        hybrid: { breaker: tiers.breaker.state, busConnected: tiers.busConnected, pendingWrites: tiers.pendingWrites },
      },
    };
  };
  const release = async () => {
    await tiers.close();
    if (options.closeTiers) {
      await Promise.allSettled([bus?.close(), isDriver(l2) ? undefined : l2.close?.()]);
    }
  };
  // Built outside createStorage, so traced and timed here (stats().operations, the tracing channel).
  return instrument(
    new HybridCache(tiers, release, health, {
      codec: resolveCodec(options.codec),
      defaultTtl: options.defaultTtl,
      maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
      staleWhileRevalidateMs: options.staleWhileRevalidateMs,
    }),
    "cache",
  );
}
