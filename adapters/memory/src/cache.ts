import { MemoryTier } from "./memory-tier.js";

/** One namespace of the in-process cache: core's LRU driver, bounded by bytes only when a size limit is set. */
export class MemoryCacheDriver extends MemoryTier {
  constructor(maxSizeBytes: number | undefined) {
    super({ maxEntries: Number.POSITIVE_INFINITY, maxBytes: maxSizeBytes ?? Number.POSITIVE_INFINITY });
  }
}
