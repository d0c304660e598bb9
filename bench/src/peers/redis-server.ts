import type { Redis, RedisOptions } from "ioredis";
import { SkipError } from "../subjects/subject.js";

/** Set by the CLI when it picks the peers' server from --backends; child processes read it from the environment. */
export const PEER_REDIS_ENV = "STOWAGE_BENCH_PEER_REDIS_URL";
const PEER_REDIS_FROM_ENV = "STOWAGE_BENCH_PEER_REDIS_FROM";

/** Makes `choice` the server of Redis peers in this process and its children; returns what undoes it. */
export function usePeerRedis(choice: PeerRedis): () => void {
  const previous = [process.env[PEER_REDIS_ENV], process.env[PEER_REDIS_FROM_ENV]] as const;
  process.env[PEER_REDIS_ENV] = choice.url;
  process.env[PEER_REDIS_FROM_ENV] = choice.from;
  return () => {
    for (const [name, value] of [
      [PEER_REDIS_ENV, previous[0]],
      [PEER_REDIS_FROM_ENV, previous[1]],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Where Redis-backed peers connect, and why there. */
export interface PeerRedis {
  url: string;
  from: "--backends" | "--url" | "REDIS_URL" | "default";
}

/** REDIS_URL, else the loopback default: what "--backends all" uses for Redis. */
export function envRedisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

/**
 * The server Redis peers use: the first redis:// or rediss:// backend (also under hybrid+),
 * without its query string, so ours and the peer talk to the same server; else REDIS_URL;
 * else 127.0.0.1:6379.
 */
export function choosePeerRedis(backends: readonly string[], env: NodeJS.ProcessEnv = process.env): PeerRedis {
  for (const backend of backends) {
    const url = backend.replace(/^hybrid\+/, "");
    if (/^rediss?:\/\//.test(url)) return { url: url.replace(/[?#].*$/, ""), from: "--backends" };
  }
  return env.REDIS_URL ? { url: env.REDIS_URL, from: "REDIS_URL" } : { url: envRedisUrl(env), from: "default" };
}

/** The server Redis peers use in this process (see choosePeerRedis; the CLI stores its choice in the environment). */
export function redisUrl(): string {
  return process.env[PEER_REDIS_ENV] ?? envRedisUrl();
}

/** The server shown beside a Redis peer's rows, with any password hidden. */
export function redisServerLabel(): string {
  const from = process.env[PEER_REDIS_FROM_ENV] ?? (process.env.REDIS_URL ? "REDIS_URL" : "default");
  return `${redisUrl().replace(/\/\/([^@/]*):[^@/]*@/, "//$1:***@")} (${from})`;
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
    throw new SkipError(
      `Redis not reachable at ${redisServerLabel()} (${(error as Error).message}); name a redis:// backend or set REDIS_URL`,
    );
  }
  return client;
}

/** Set by the contention scenario for its worker processes: the run they share, so they contend on one key. */
export const SHARED_RUN_ENV = "STOWAGE_BENCH_RUN_ID";

/** A key prefix no other run uses, so a run removes exactly what it wrote; contention workers share one. */
export function runPrefix(peer: string): string {
  const run = process.env[SHARED_RUN_ENV] ?? `${process.pid}-${Date.now().toString(36)}`;
  return `stowage-bench:${peer}:${run}:`;
}

/** Whether this process alone uses its prefix: a contention worker must not delete keys its peers still hold. */
export function ownsRunPrefix(): boolean {
  return process.env[SHARED_RUN_ENV] === undefined;
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
