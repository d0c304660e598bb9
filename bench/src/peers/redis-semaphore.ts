import type { OpenSubject, Subject } from "../subjects/subject.js";
import { connectRedis, deleteByPrefix, ownsRunPrefix, redisServerLabel, runPrefix } from "./redis-server.js";

/** redis-semaphore's Mutex with its defaults but for the wait bound: a SET NX poll every retryInterval. */
async function openRedisSemaphore(): Promise<OpenSubject> {
  const { Mutex } = await import("redis-semaphore");
  const client = await connectRedis();
  // The Mutex stores its key as mutex:<key>.
  const prefix = runPrefix("redis-semaphore");
  return {
    lock: {
      acquire: async (name, ttlMs, waitMs) => {
        // refreshInterval 0: the bench holds leases far shorter than their ttl, so no refresh timer.
        // Its loop tries only while now < start + acquireTimeout: a zero wait is one attempt within 1 ms.
        const mutex = new Mutex(client, `${prefix}${name}`, {
          lockTimeout: ttlMs,
          refreshInterval: 0,
          ...(waitMs > 0 ? { acquireTimeout: waitMs } : { acquireTimeout: 1, acquireAttemptsLimit: 1 }),
        });
        await mutex.acquire();
        return { release: () => mutex.release() };
      },
    },
    async close() {
      try {
        if (ownsRunPrefix()) await deleteByPrefix(client, `mutex:${prefix}`);
      } finally {
        await client.quit().catch(() => client.disconnect());
      }
    },
  };
}

/** redis-semaphore: the Mutex of the redis-semaphore package on one Redis primary. */
export const redisSemaphorePeer: Subject = {
  name: "redis-semaphore",
  kind: "peer",
  capabilities: ["lock"],
  open: openRedisSemaphore,
  server: redisServerLabel,
  worker: { kind: "peer", name: "redis-semaphore" },
};
