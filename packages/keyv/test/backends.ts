import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage } from "@stowage/core";
import { startStandalone } from "@stowage/redis/testing";

/** One backend the interop suites run on: a URL, or why it is skipped in this run. */
export interface BackendUnderTest {
  name: string;
  url: string;
  /** Set when the backend cannot open here; the suite prints it and skips the backend. */
  skip?: string;
}

/** Temporary directories and servers made for this test file, removed by `releaseBackends`. */
const cleanups: (() => void | Promise<void>)[] = [];

/** `REDIS_URL`, or a redis-server of our own on a free loopback port (no persistence). */
async function redisUrl(): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const server = await startStandalone();
  cleanups.push(() => server.stop());
  return server.url;
}

/**
 * The backends every interop suite runs on. A backend whose adapter package is not built yet
 * (or whose server is missing) comes back with `skip` set, so the run says so and goes on.
 */
export async function backendsUnderTest(label: string): Promise<BackendUnderTest[]> {
  const dir = mkdtempSync(join(tmpdir(), `stowage-${label}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const candidates: { name: string; url: () => Promise<string> }[] = [
    { name: "memory", url: async () => `memory://${label}` },
    { name: "sqlite", url: async () => `sqlite://${join(dir, "stowage.db")}` },
    { name: "lmdb", url: async () => `lmdb://${join(dir, "lmdb")}` },
    { name: "file", url: async () => `file://${join(dir, "files")}` },
    { name: "redis", url: redisUrl },
  ];
  const found: BackendUnderTest[] = [];
  for (const candidate of candidates) {
    let url = "";
    try {
      url = await candidate.url();
      const storage = await createStorage(inNamespace(url, `${label}-probe`));
      await storage.cache.set("probe", 1);
      await storage.cache.delete("probe");
      await storage.close();
      found.push({ name: candidate.name, url });
    } catch (error) {
      found.push({ name: candidate.name, url, skip: (error as Error).message.split("\n")[0] ?? "cannot open" });
    }
  }
  const skipped = found.filter((backend) => backend.skip);
  if (isCi() && skipped.length > 0) {
    // DESIGN: under CI a backend that cannot run is a failure, not a skip.
    throw new Error(
      `CI is set and these backends cannot open: ${skipped.map((b) => `${b.name} (${b.skip})`).join("; ")}`,
    );
  }
  return found;
}

function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/** Stops the servers and removes the directories `backendsUnderTest` made. */
export async function releaseBackends(): Promise<void> {
  for (const cleanup of cleanups.splice(0)) await cleanup();
}

/** `url` with `namespace=` set, so each suite works in its own namespace of a shared backend. */
export function inNamespace(url: string, namespace: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}namespace=${namespace}`;
}
