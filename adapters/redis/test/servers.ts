import { parseMultiHostUrl } from "@stowage/core";
import { Redis } from "ioredis";
import { describe, it } from "vitest";
import { needsBinaryReason, type RedisAvailability, redisTestAvailability } from "../src/testing/index.js";

/** Where this run's Redis comes from; when there is none, the one line that says why (printed once per file). */
export const availability: RedisAvailability = await redisTestAvailability();

/** Why servers cannot be started from the binary here, or undefined when they can. */
export const noBinary: string | undefined = needsBinaryReason(
  availability,
  "Redis topology tests (Cluster, TLS, Sentinel, redlock)",
);

if (noBinary) console.warn(`[redis] ${noBinary}`);

/** Registers one skipped test whose name says why, when servers cannot be started. */
export function skipWithoutBinary(what: string): boolean {
  if (!noBinary) return false;
  describe(what, () => {
    it.skip(noBinary, () => {});
  });
  return true;
}

/** A multi-host URL in the form WHATWG URL accepts (host list percent-encoded), for code that calls `new URL`. */
export function portableUrl(url: string): string {
  return parseMultiHostUrl(url).href;
}

/**
 * The URL with generous bounds for conformance runs: several TLS nodes and 8 worker processes
 * connect at once, and a 16 MiB value crosses TLS, where a loaded 2-core CI machine exceeds the
 * 2 s defaults (the timeouts themselves are tested in hung-server and availability tests).
 */
export function patientUrl(url: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}connectTimeout=10000&timeout=10000`;
}

/** Every key one server holds, read with SCAN (the test's own look; the adapter never lists the keyspace). */
export async function scanKeys(url: string): Promise<Buffer[]> {
  const client = new Redis(url);
  try {
    const keys: Buffer[] = [];
    let cursor = "0";
    do {
      const [next, found] = await client.scanBuffer(cursor, "COUNT", 1000);
      cursor = String(next);
      keys.push(...found);
    } while (cursor !== "0");
    return keys;
  } finally {
    client.disconnect();
  }
}
