import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where Redis-backed tests get their servers, in DESIGN's order. */
export type RedisAvailability =
  /** `REDIS_URL` names a server to use as it is (topologies the run would start need the binary too). */
  | { mode: "url"; url: string; binary: boolean }
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
 * Finds Redis for tests: `REDIS_URL`; else `redis-server` on PATH; else a Docker engine with
 * testcontainers; else none. Under `CI` a missing server throws instead of skipping.
 */
export function redisTestAvailability(): Promise<RedisAvailability> {
  cached ??= detect();
  return cached;
}

async function detect(): Promise<RedisAvailability> {
  const binary = await answers("redis-server", ["--version"]);
  const url = process.env.REDIS_URL;
  if (url) return { mode: "url", url, binary };
  if (binary) return { mode: "binary", binary: true };
  const docker = await answers("docker", ["info"]);
  const reason = docker
    ? "Redis tests skipped: no REDIS_URL, no redis-server on PATH, and a Docker engine answers but this harness starts servers from the redis-server binary only"
    : "Redis tests skipped: no REDIS_URL, no redis-server on PATH, and no Docker engine answers";
  if (isCi()) throw new Error(`${reason} (CI is set, so this is a failure)`);
  return { mode: "none", binary: false, reason };
}

function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}
