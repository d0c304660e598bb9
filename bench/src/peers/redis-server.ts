import type { Redis, RedisOptions } from "ioredis";
import { SkipError } from "../subjects/subject.js";

/** The Redis that Redis-backed peers use: REDIS_URL, else the loopback default. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

/** A connected ioredis client, or SkipError saying why Redis is unreachable (fails fast, never queues). */
export async function connectRedis(options: RedisOptions = {}): Promise<Redis> {
  const url = redisUrl();
  const { Redis } = await import("ioredis");
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    ...options,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new SkipError(`Redis not reachable at ${url} (${(error as Error).message}); set REDIS_URL`);
  }
  return client;
}

/** A key prefix no other run uses, so a run removes exactly what it wrote. */
export function runPrefix(peer: string): string {
  return `stowage-bench:${peer}:${process.pid}-${Date.now().toString(36)}:`;
}

/** Deletes every key under `prefix` with SCAN (never KEYS) and UNLINK. */
export async function deleteByPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== "0");
}
