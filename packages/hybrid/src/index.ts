export { type BreakerState, CircuitBreaker, type CircuitBreakerOptions } from "./breaker/circuit-breaker.js";
export { InProcessBus, InProcessBusEnd } from "./bus/in-process-bus.js";
export { HybridBackend, type HybridBackendOptions } from "./cache/hybrid-backend.js";
export {
  createHybridCache,
  HybridCache,
  type HybridCacheOptions,
  type HybridCacheStats,
  type L2Store,
} from "./cache/hybrid-cache.js";
export { HybridCacheDriver, type HybridStats } from "./cache/hybrid-driver.js";
export { adapterFamily } from "./url/hybrid-adapter.js";
