/**
 * Bench-only, opt-in (HYBRID_L2_EXPIRY=pttl): gives the Redis cache driver the optional
 * `expiresAt(key)` that the hybrid's L2Reader uses when a driver has it (see
 * packages/core/src/hybrid/l2-reader.ts): a plain PTTL, so an L1 miss reads GET (+ PTTL when the
 * key is there) instead of the GET+PTTL Lua script. adapters/redis/src/cache.ts does not have it
 * yet (it is another helper's file); this measures what it would give. Patch before creating the
 * hybrid cache: the reader looks for the method once.
 */
export function maybePatchL2Expiry(cacheStore) {
  if (process.env.HYBRID_L2_EXPIRY !== "pttl") return false;
  const proto = Object.getPrototypeOf(cacheStore.driver);
  if (typeof proto.expiresAt === "function") return true;
  proto.expiresAt = function expiresAt(key) {
    return this.run("expiresAt", (client) =>
      client.pttl(this.layout.cacheKey(key)).then((ms) => (ms === -2 ? undefined : ms === -1 ? null : Date.now() + ms)),
    );
  };
  return true;
}
