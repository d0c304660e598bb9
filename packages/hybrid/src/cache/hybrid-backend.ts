import type { Backend, BackendHealth, CacheBus, CacheDriver, CheckpointDriver, LockDriver } from "@stowage/core";
import { MemoryTier, type MemoryTierOptions } from "@stowage/memory";
import { HybridCacheDriver, type HybridDriverOptions } from "./hybrid-driver.js";

/** How a hybrid backend builds each namespace's tiers. */
export interface HybridBackendOptions extends Omit<HybridDriverOptions, "namespace" | "l1" | "l2" | "bus"> {
  /** Bounds of each namespace's memory L1. */
  l1: MemoryTierOptions;
}

/**
 * A backend whose cache is two-tier: a memory L1 per namespace in front of `l2`'s cache, with
 * one bus for every namespace. Locks and checkpoints are `l2`'s own (they must not be cached).
 */
export class HybridBackend implements Backend {
  readonly kind: string;
  readonly #l2: Backend;
  readonly #bus: CacheBus | undefined;
  readonly #options: HybridBackendOptions;
  readonly #caches = new Map<string, HybridCacheDriver>();

  constructor(l2: Backend, bus: CacheBus | undefined, options: HybridBackendOptions) {
    this.kind = `hybrid+${l2.kind}`;
    this.#l2 = l2;
    this.#bus = bus;
    this.#options = options;
  }

  cache(namespace: string): CacheDriver {
    let driver = this.#caches.get(namespace);
    if (!driver) {
      driver = new HybridCacheDriver({
        ...this.#options,
        namespace,
        l1: new MemoryTier(this.#options.l1),
        l2: this.#l2.cache(namespace),
        bus: this.#bus,
      });
      this.#caches.set(namespace, driver);
    }
    return driver;
  }

  lock(namespace: string): LockDriver {
    return this.#l2.lock(namespace);
  }

  checkpoint(namespace: string): CheckpointDriver {
    return this.#l2.checkpoint(namespace);
  }

  async health(): Promise<BackendHealth> {
    const health = await this.#l2.health();
    const caches = Object.fromEntries(
      [...this.#caches].map(([ns, driver]) => [ns, { ...driver.stats(), breaker: driver.breaker.state }]),
    );
    return {
      ...health,
      backend: this.kind,
      details: { ...health.details, busConnected: this.#bus?.connected, caches },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#caches.values()].map((driver) => driver.close()));
    await this.#bus?.close();
    await this.#l2.close();
  }
}
