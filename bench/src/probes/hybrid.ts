import { createStorage } from "@stowage/core";
import type { Redis } from "ioredis";
import { bentocachePeer } from "../peers/bentocache.js";
import { cacheablePeer } from "../peers/cacheable.js";
import { connectRedis, SHARED_RUN_ENV, usePeerRedis } from "../peers/redis-server.js";
import { median } from "../stats.js";
import type { CacheOps, Subject } from "../subjects/subject.js";
import { printPairedRounds, type RoundsBySubject } from "./paired-report.js";
import { chosenSubjects, type Probe } from "./probe.js";
import { type RoundTiming, rotated, timeLoops } from "./timing.js";

const TTL = 600_000;
const KEYS = 1_000;

type HybridOps = Required<Pick<CacheOps, "get" | "set" | "getOrSet">> & { close(): Promise<unknown> };

/** The ~100-byte JSON value every workload stores. */
const value = (i: number) => ({ id: i, name: `item-${i}`, status: "running", tags: ["a", "b"], score: i * 0.5 });

async function stowage(url: string, run: string, withBus: boolean): Promise<HybridOps> {
  const { createHybridCache } = await import("@stowage/hybrid");
  const { adapter } = await import("@stowage/redis");
  const l2 = await createStorage({ url, namespace: `probe-hybrid-${run}` });
  const parsed = new URL(url);
  const bus = withBus ? await adapter.openBus?.({ url: parsed, params: parsed.searchParams, options: {} }) : undefined;
  const cache = createHybridCache({ l2: l2.cache, ...(bus ? { bus } : {}), l1: { maxEntries: 100_000 } });
  return {
    get: (key) => cache.get(key),
    set: (key, v, ttl) => cache.set(key, v, { ttl }),
    getOrSet: (key, load, ttl) => cache.getOrSet(key, load, { ttl }),
    async close() {
      await cache.close();
      await bus?.close();
      await l2.cache.clear();
      await l2.close();
    },
  };
}

async function redisOnly(url: string, run: string): Promise<HybridOps> {
  const storage = await createStorage({ url, namespace: `probe-hybrid-plain-${run}` });
  return {
    get: (key) => storage.cache.get(key),
    set: (key, v, ttl) => storage.cache.set(key, v, { ttl }),
    getOrSet: (key, load, ttl) => storage.cache.getOrSet(key, load, { ttl }),
    async close() {
      await storage.cache.clear();
      await storage.close();
    },
  };
}

/** A bench peer as a hybrid subject (bentocache and cacheable implement getOrSet). */
async function peer(subject: Subject): Promise<HybridOps> {
  if (!subject.open) throw new Error(`${subject.name} opens in no process`);
  const opened = await subject.open();
  const cache = opened.cache;
  if (!cache?.getOrSet) throw new Error("the peer has no getOrSet");
  return { get: cache.get, set: cache.set, getOrSet: cache.getOrSet.bind(cache), close: () => opened.close() };
}

const FACTORIES: Record<string, (url: string, run: string) => Promise<HybridOps>> = {
  "stowage-hybrid": (url, run) => stowage(url, run, true),
  "stowage-nobus": (url, run) => stowage(url, run, false),
  "redis-only": redisOnly,
  bentocache: () => peer(bentocachePeer),
  cacheable: () => peer(cacheablePeer),
};

const WORKLOADS = ["l1-get", "l1-get32", "l2-hit", "miss", "steady"] as const;

/** redis-server CPU seconds and command calls so far (INFO cpu, commandstats). */
async function serverCounters(admin: Redis): Promise<{ cpuS: number; calls: Map<string, number> }> {
  const cpu = await admin.info("cpu");
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(cpu)?.[1] ?? 0);
  const calls = new Map<string, number>();
  for (const [, command, count] of (await admin.info("commandstats")).matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
    if (command !== "info") calls.set(command as string, Number(count));
  }
  return { cpuS: field("used_cpu_user") + field("used_cpu_sys"), calls };
}

/**
 * The two-tier cache over Redis beside bentocache (memory L1, Redis L2 and bus) and cacheable
 * (memory primary, Keyv on Redis): L1-hit get with 1 and 32 callers, getOrSet on keys another
 * instance wrote (L2 hit, L1 fill), on new keys (load, both tiers, invalidation) with redis-server
 * CPU and commands per op, and steady getOrSet over 10,000 keys. Subjects rotate round by round.
 */
export const hybrid: Probe = {
  name: "hybrid",
  summary: "hybrid cache over Redis ÷ bentocache and cacheable: L1 get, getOrSet L2 hit/miss/steady",
  defaults: { n: 100_000, rounds: 6 },
  async run({ n, rounds, only, redisUrl }, print) {
    const names = chosenSubjects(only, ["stowage-hybrid", "bentocache", "cacheable"], Object.keys(FACTORIES));
    const restore = usePeerRedis({ url: redisUrl, from: "--url" });
    const sharedRun = process.env[SHARED_RUN_ENV];
    const admin = await connectRedis();
    const results: RoundsBySubject = new Map(names.map((name) => [name, {}]));
    const server = new Map<string, { cpuUs: number[]; commands: Map<string, number>[] }>();
    const twoTier = Math.max(1, Math.min(Math.floor(n / 10), 20_000));
    try {
      for (let round = 0; round < rounds; round++) {
        for (const name of rotated(names, round)) {
          const factory = FACTORIES[name] as (url: string, run: string) => Promise<HybridOps>;
          const run = `${process.pid}-r${round}`;
          process.env[SHARED_RUN_ENV] = `hybrid-${run}`; // the peers' writer and reader share one key prefix
          const writer = await factory(redisUrl, run);
          const reader = await factory(redisUrl, run);
          const byOp = results.get(name) as Record<string, RoundTiming[]>;
          const time = async (op: string, count: number, callers: number, fn: (i: number) => Promise<unknown>) => {
            const before = op === "miss" ? await serverCounters(admin) : undefined;
            const timing = await timeLoops(count, callers, fn);
            byOp[op] = [...(byOp[op] ?? []), timing];
            if (before) {
              const after = await serverCounters(admin);
              const entry = server.get(name) ?? { cpuUs: [], commands: [] };
              server.set(name, entry);
              entry.cpuUs.push(((after.cpuS - before.cpuS) * 1e6) / count);
              entry.commands.push(
                new Map([...after.calls].map(([c, calls]) => [c, (calls - (before.calls.get(c) ?? 0)) / count])),
              );
            }
          };
          try {
            for (let i = 0; i < KEYS; i++) await writer.set(`hot:${i}`, value(i), TTL);
            for (let i = 0; i < KEYS; i++) await writer.get(`hot:${i}`);
            await time("l1-get", n, 1, (i) => writer.get(`hot:${i % KEYS}`));
            await time("l1-get32", n, 32, (i) => writer.get(`hot:${i % KEYS}`));
            for (let i = 0; i < twoTier; i++) await writer.set(`warm:${i}`, value(i), TTL);
            let loads = 0;
            await time("l2-hit", twoTier, 32, (i) => reader.getOrSet(`warm:${i}`, () => ++loads, TTL));
            if (loads !== 0) throw new Error(`${name}: ${loads} loads on keys present in L2`);
            await time("miss", twoTier, 32, (i) => reader.getOrSet(`miss:${i}`, () => value(i), TTL));
            await time("steady", n, 32, (i) => writer.getOrSet(`steady:${i % 10_000}`, () => value(i), TTL));
          } finally {
            await writer.close();
            await reader.close();
          }
        }
      }
    } finally {
      admin.disconnect();
      restore();
      if (sharedRun === undefined) delete process.env[SHARED_RUN_ENV];
      else process.env[SHARED_RUN_ENV] = sharedRun;
    }
    printPairedRounds(
      results,
      WORKLOADS,
      `${n} ops per L1/steady measurement, ${twoTier} per L2-hit/miss, ${rounds} rounds, ~100 B JSON values`,
      print,
    );
    for (const [name, { cpuUs, commands }] of server) {
      const perOp = [...(commands.at(-1) ?? [])]
        .filter(([, calls]) => calls > 0)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([command, calls]) => `${command}=${calls.toFixed(2)}`)
        .join(" ");
      print(`${name.padEnd(22)} miss     redis-server ${median(cpuUs).toFixed(1)} cpu µs/op, commands/op ${perOp}`);
    }
  },
};
