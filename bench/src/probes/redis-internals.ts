// The Redis adapter's own modules a probe drives directly: not in its exports map, so they are
// reached by file beside its entry point (the probes measure what these layers cost).

interface AdapterModules {
  serverClient(options: object, host: unknown): import("ioredis").Redis;
  parseRedisUrl(url: URL, params: URLSearchParams, options: object): { hosts: unknown[] };
  lockAcquire: { lua: string; numberOfKeys: number };
  lockRelease: { lua: string };
  /** Absent before issue 18's wake-ups (then raw-script releases with lockRelease). */
  lockReleaseWake?: { lua: string; numberOfKeys: number };
}

/** The adapter's client factory, URL parser and lock scripts, from its built dist/. */
export async function redisAdapterModules(): Promise<AdapterModules> {
  const entry = import.meta.resolve("@stowage/redis");
  const [client, options, scripts] = await Promise.all([
    import(new URL("./client.js", entry).href),
    import(new URL("./options.js", entry).href),
    import(new URL("./scripts/lock-scripts.js", entry).href),
  ]);
  return { ...client, ...options, ...scripts } as AdapterModules;
}
