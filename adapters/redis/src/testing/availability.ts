import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startDockerRedis } from "./docker-redis.js";

const run = promisify(execFile);

/** Where Redis-backed tests get their servers, in DESIGN's order. */
export type RedisAvailability =
  /**
   * A server to use as it is: `REDIS_URL`, or (source "docker") a container testcontainers
   * started for this process. Topologies the run would start (Cluster, TLS, Sentinel, redlock)
   * need the binary too.
   */
  | { mode: "url"; url: string; binary: boolean; source: "REDIS_URL" | "docker" }
  /** `redis-server` is on PATH: the run starts its own servers on free ports. */
  | { mode: "binary"; binary: true }
  /** No server: tests are skipped, and `reason` is the one line to print. */
  | { mode: "none"; binary: false; reason: string };

async function answers(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args, { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

let cached: Promise<RedisAvailability> | undefined;

/**
 * Finds Redis for tests: `REDIS_URL`; else `redis-server` on PATH; else a Docker engine, on
 * which testcontainers starts one standalone server for this process (removed when it exits);
 * else none. Under `CI` a missing server throws instead of skipping.
 */
export function redisTestAvailability(): Promise<RedisAvailability> {
  cached ??= detect();
  return cached;
}

async function detect(): Promise<RedisAvailability> {
  const binary = await answers("redis-server", ["--version"]);
  const url = process.env.REDIS_URL;
  if (url) return { mode: "url", url, binary, source: "REDIS_URL" };
  if (binary) return { mode: "binary", binary: true };
  if (await answers("docker", ["info"])) {
    return { mode: "url", url: await startDockerRedis(), binary: false, source: "docker" };
  }
  const reason = "Redis tests skipped: no REDIS_URL, no redis-server on PATH, and no Docker engine answers";
  if (isCi()) throw new Error(`${reason} (CI is set, so this is a failure)`);
  return { mode: "none", binary: false, reason };
}

function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/**
 * Why `what` (tests that start their own servers from the binary) cannot run here, or
 * undefined when redis-server is on PATH.
 */
export function needsBinaryReason(availability: RedisAvailability, what: string): string | undefined {
  if (availability.mode === "none") return availability.reason;
  if (availability.binary) return undefined;
  const server = availability.source === "docker" ? "the Redis server is a Docker container" : "REDIS_URL is set";
  return `${what} skipped: ${server} but no redis-server binary is on PATH to start them`;
}
