import type { OpenSubject, Subject } from "../subjects/subject.js";
import { connectRedis, deleteByPrefix, ownsRunPrefix, redisServerLabel, runPrefix } from "./redis-server.js";

const RETRY_DELAY_MS = 10;

async function openRedlock(): Promise<OpenSubject> {
  const { default: Redlock } = await import("redlock");
  const client = await connectRedis();
  const prefix = runPrefix("redlock");
  const redlock = new Redlock([client], { retryCount: 0, retryDelay: RETRY_DELAY_MS, retryJitter: RETRY_DELAY_MS });
  redlock.on("error", () => {});
  return {
    lock: {
      acquire: (name, ttlMs, waitMs) =>
        redlock.acquire([`${prefix}${name}`], ttlMs, { retryCount: Math.ceil(waitMs / RETRY_DELAY_MS) }),
    },
    async close() {
      try {
        if (ownsRunPrefix()) await deleteByPrefix(client, prefix);
      } finally {
        await client.quit().catch(() => client.disconnect());
      }
    },
  };
}

/** redlock on one Redis primary: the lock library most Node services use. */
export const redlockPeer: Subject = {
  name: "redlock",
  kind: "peer",
  capabilities: ["lock"],
  open: openRedlock,
  server: redisServerLabel,
  worker: { kind: "peer", name: "redlock" },
};
