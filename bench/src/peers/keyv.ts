import { join } from "node:path";
import type { Keyv } from "keyv";
import type { OpenSubject, Subject } from "../subjects/subject.js";
import { connectRedis, redisServerLabel, redisUrl, runPrefix } from "./redis-server.js";
import { scratchDir } from "./temp-dir.js";

/** Keyv as a cache and as the seed's checkpoint store (latest checkpoint per thread under one key). */
function keyvOps(keyv: Keyv, close: () => Promise<void>): OpenSubject {
  return {
    cache: {
      set: (key, value, ttlMs) => keyv.set(key, value, ttlMs),
      get: (key) => keyv.get(key),
    },
    checkpoint: {
      save: (threadId, payload, ttlMs) => keyv.set(`checkpoint:${threadId}`, payload, ttlMs),
      load: (threadId) => keyv.get(`checkpoint:${threadId}`),
    },
    close,
  };
}

async function openKeyvSqlite(): Promise<OpenSubject> {
  const { Keyv } = await import("keyv");
  const { default: KeyvSqlite } = await import("@keyv/sqlite");
  const dir = await scratchDir("keyv-sqlite");
  const keyv = new Keyv({ store: new KeyvSqlite(`sqlite://${join(dir.path, "keyv.db")}`), namespace: "bench" });
  keyv.on("error", () => {});
  return keyvOps(keyv, async () => {
    await keyv.disconnect();
    await dir.remove();
  });
}

async function openKeyvRedis(): Promise<OpenSubject> {
  (await connectRedis()).disconnect(); // fail fast with a reason instead of Keyv's reconnect loop
  const { Keyv } = await import("keyv");
  const { default: KeyvRedis } = await import("@keyv/redis");
  const namespace = runPrefix("keyv-redis").slice(0, -1);
  const keyv = new Keyv({ store: new KeyvRedis(redisUrl(), { namespace }), namespace });
  keyv.on("error", () => {});
  return keyvOps(keyv, async () => {
    await keyv.clear();
    await keyv.disconnect();
  });
}

/** Keyv with @keyv/sqlite. */
export const keyvSqlite: Subject = {
  name: "keyv-sqlite",
  kind: "peer",
  capabilities: ["cache", "checkpoint"],
  open: openKeyvSqlite,
};

/** Keyv with @keyv/redis. */
export const keyvRedis: Subject = {
  name: "keyv-redis",
  kind: "peer",
  capabilities: ["cache", "checkpoint"],
  open: openKeyvRedis,
  server: redisServerLabel,
};
