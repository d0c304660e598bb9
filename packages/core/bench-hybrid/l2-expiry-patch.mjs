/**
 * Bench-only: gives one Redis cache driver the optional `expiresAt(key)` that the hybrid's
 * L2Reader uses when a driver has it (packages/core/src/hybrid/l2-reader.ts): a plain PTTL, so an
 * L1 miss reads GET (+ PTTL when the key is there) instead of the GET+PTTL Lua script.
 * adapters/redis/src/cache.ts does not have it yet (another helper's file); this measures what it
 * would give. Set on the instance, before the hybrid cache is created (the reader looks once).
 */
export function addL2Expiry(cacheStore) {
  const driver = cacheStore.driver;
  driver.expiresAt = (key) =>
    driver.run("expiresAt", (client) =>
      client
        .pttl(driver.layout.cacheKey(key))
        .then((ms) => (ms === -2 ? undefined : ms === -1 ? null : Date.now() + ms)),
    );
}

/** HYBRID_L2_EXPIRY=pttl: every stowage subject gets it. */
export function maybePatchL2Expiry(cacheStore) {
  if (process.env.HYBRID_L2_EXPIRY !== "pttl") return false;
  addL2Expiry(cacheStore);
  return true;
}
