import { redisTestAvailability, startStandalone } from "@stowage/redis/testing";

/** A Redis for this test file: the one redisTestAvailability found (REDIS_URL, Docker), else a redis-server of its own. */
export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

const availability = await redisTestAvailability();

/** Why Redis-backed tests cannot run here, or undefined when they can. */
export const redisUnavailable: string | undefined = availability.mode === "none" ? availability.reason : undefined;

export async function startRedis(): Promise<TestRedis> {
  if (availability.mode === "url") return { url: availability.url, stop: async () => {} };
  return startStandalone();
}
