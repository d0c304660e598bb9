import { sleep } from "@stowage/core";
import type { OpenSubject, Subject } from "../subjects/subject.js";
import { sortableId } from "./checkpoint-ids.js";
import { connectRedis, deleteByPrefix, redisServerLabel, runPrefix } from "./redis-server.js";

// Compare-and-delete: the usual single-instance lock release, atomic because Lua runs alone.
const RELEASE_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

async function openRawIoredis(name: string, autoPipelining: boolean): Promise<OpenSubject> {
  const client = await connectRedis({ enableAutoPipelining: autoPipelining });
  const prefix = runPrefix(name);
  let tokens = 0;
  const acquire = async (name: string, ttlMs: number, waitMs: number) => {
    const key = `${prefix}lock:${name}`;
    const token = `${process.pid}:${++tokens}`;
    const deadline = performance.now() + waitMs;
    while ((await client.set(key, token, "PX", ttlMs, "NX")) === null) {
      if (performance.now() >= deadline) throw new Error(`lock ${name} still held after ${waitMs} ms`);
      await sleep(5 + Math.random() * 10);
    }
    return { release: () => client.eval(RELEASE_SCRIPT, 1, key, token) };
  };
  const index = (threadId: string) => `${prefix}cp-index:${threadId}`;
  const record = (threadId: string, id: string) => `${prefix}cp:${threadId}:${id}`;
  const members = (threadId: string, limit: number) =>
    client.zrevrangebylex(index(threadId), "+", "-", "LIMIT", 0, limit);
  return {
    cache: {
      set: (key, value, ttlMs) => client.set(`${prefix}${key}`, JSON.stringify(value), "PX", ttlMs),
      get: async (key) => {
        const raw = await client.get(`${prefix}${key}`);
        return raw === null ? undefined : JSON.parse(raw);
      },
    },
    lock: { acquire },
    checkpoint: {
      save: (threadId, payload, ttlMs) => {
        const id = sortableId();
        return client
          .multi()
          .set(record(threadId, id), JSON.stringify(payload), "PX", ttlMs)
          .zadd(index(threadId), 0, id)
          .pexpire(index(threadId), ttlMs)
          .exec();
      },
      load: async (threadId) => {
        const [id] = await members(threadId, 1);
        if (id === undefined) return undefined;
        const raw = await client.get(record(threadId, id));
        return raw === null ? undefined : JSON.parse(raw);
      },
      list: async (threadId, limit) => {
        const ids = await members(threadId, limit);
        if (ids.length === 0) return [];
        const raws = await client.mget(...ids.map((id) => record(threadId, id)));
        return raws.map((raw) => (raw === null ? undefined : JSON.parse(raw)));
      },
      deleteThread: async (threadId) => {
        const ids = await client.zrange(index(threadId), 0, -1);
        for (let start = 0; start < ids.length; start += 1000) {
          await client.unlink(...ids.slice(start, start + 1000).map((id) => record(threadId, id)));
        }
        await client.unlink(index(threadId));
      },
    },
    async close() {
      try {
        await deleteByPrefix(client, prefix);
      } finally {
        await client.quit().catch(() => client.disconnect());
      }
    },
  };
}

/** Raw ioredis, one command at a time: the ceiling of the redis adapter. */
export const rawIoredis: Subject = {
  name: "raw-ioredis",
  kind: "peer",
  ceilingOf: "redis",
  capabilities: ["cache", "lock", "checkpoint", "checkpointList"],
  open: () => openRawIoredis("raw-ioredis", false),
  server: redisServerLabel,
};

/** Raw ioredis with enableAutoPipelining: concurrent commands share round trips. */
export const rawIoredisPipelined: Subject = {
  name: "raw-ioredis-autopipeline",
  kind: "peer",
  ceilingOf: "redis",
  capabilities: ["cache", "lock", "checkpoint", "checkpointList"],
  open: () => openRawIoredis("raw-ioredis-autopipeline", true),
  server: redisServerLabel,
};
