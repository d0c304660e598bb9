import { Socket } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { createStorage } from "@stowage/core";
import type { Redis, RedisOptions } from "ioredis";
import { median } from "../stats.js";
import { printPairedRounds, type RoundsBySubject } from "./paired-report.js";
import { chosenSubjects, type Probe, type ProbeSettings } from "./probe.js";
import { redisAdapterModules } from "./redis-internals.js";
import { type RoundTiming, rotated, timeLoops } from "./timing.js";

const KEYS = 100;
const DAY_MS = 86_400_000;

interface CacheSubject {
  name: string;
  set(i: number): Promise<unknown>;
  get(i: number): Promise<unknown>;
  close(): Promise<void>;
}

/** How a raw subject batches a turn's commands: not at all, by cork/uncork, or by joining them into one write. */
type Batching = "none" | "cork" | "collect";

async function rawSubject(
  name: string,
  settings: ProbeSettings,
  options: RedisOptions | "adapter",
  value: string,
  batching: Batching = "none",
  asBuffer = false,
): Promise<CacheSubject> {
  let plain: Redis;
  if (options === "adapter") {
    // The adapter's own client options (fail fast, command timeout, …), driven like plain ioredis.
    const { serverClient, parseRedisUrl } = await redisAdapterModules();
    const parsed = parseRedisUrl(new URL(settings.redisUrl), new URLSearchParams(), {});
    plain = serverClient({ ...parsed, autoPipelining: false }, parsed.hosts[0]);
  } else {
    const { Redis } = await import("ioredis");
    plain = new Redis(settings.redisUrl, { lazyConnect: true, ...options });
  }
  await plain.connect();
  // cork/collect: the per-turn batching the adapter's connection does, so only the layers above differ.
  const stream = (plain as unknown as { stream: Socket & { write: Socket["write"] } }).stream;
  let pending = false;
  let text = "";
  const collect = (chunk: string) => {
    text += chunk;
    return true;
  };
  const uncork = () => {
    pending = false;
    if (batching === "collect") {
      delete (stream as Partial<Socket>).write;
      const data = text;
      text = "";
      stream.write(data);
    } else stream.uncork();
  };
  const batch = () => {
    if (batching === "none" || pending) return;
    pending = true;
    if (batching === "collect") (stream as unknown as { write: typeof collect }).write = collect;
    else stream.cork();
    process.nextTick(uncork);
  };
  const prefix = `probe-concurrency:${name}:${process.pid}:`;
  const encoded = JSON.stringify(value);
  return {
    name,
    set: (i) => {
      batch();
      return plain.set(`${prefix}${i % KEYS}`, asBuffer ? Buffer.from(encoded) : encoded, "PX", DAY_MS);
    },
    get: async (i) => {
      batch();
      const raw = await plain.get(`${prefix}${i % KEYS}`);
      return raw === null ? undefined : JSON.parse(raw);
    },
    close: async () => {
      await plain.unlink(...Array.from({ length: KEYS }, (_, i) => `${prefix}${i}`));
      await plain.quit();
    },
  };
}

async function stowageCacheSubject(name: string, url: string, value: string): Promise<CacheSubject> {
  const storage = await createStorage({ url, namespace: `probe-concurrency-${process.pid}-${name}` });
  return {
    name,
    set: (i) => storage.cache.set(`k${i % KEYS}`, value, { ttl: DAY_MS }),
    get: (i) => storage.cache.get(`k${i % KEYS}`),
    close: async () => {
      await storage.cache.clear();
      await storage.close();
    },
  };
}

function withParam(url: string, param: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}${param}`;
}

type Factory = (settings: ProbeSettings, value: string) => Promise<CacheSubject>;

const FACTORIES: Record<string, Factory> = {
  ours: (s, v) => stowageCacheSubject("ours", s.redisUrl, v),
  "ours-noap": (s, v) => stowageCacheSubject("ours-noap", withParam(s.redisUrl, "autoPipelining=false"), v),
  raw: (s, v) => rawSubject("raw", s, {}, v),
  "raw-ap": (s, v) => rawSubject("raw-ap", s, { enableAutoPipelining: true }, v),
  "raw-adapter-options": (s, v) => rawSubject("raw-adapter-options", s, "adapter", v),
  "raw-cork": (s, v) => rawSubject("raw-cork", s, {}, v, "cork"),
  "raw-collect": (s, v) => rawSubject("raw-collect", s, {}, v, "collect"),
  "raw-buffer": (s, v) => rawSubject("raw-buffer", s, {}, v, "none", true),
  "raw-timeout": (s, v) => rawSubject("raw-timeout", s, { commandTimeout: 2000 }, v),
  "raw-ap-buffer": (s, v) => rawSubject("raw-ap-buffer", s, { enableAutoPipelining: true }, v, "none", true),
  "raw-ap-timeout": (s, v) => rawSubject("raw-ap-timeout", s, { enableAutoPipelining: true, commandTimeout: 2000 }, v),
};

/** Counts socket writes (write/writev calls) while `run` runs: how well commands were batched. */
async function countingWrites<T>(run: (writes: () => number) => Promise<T>): Promise<T> {
  const prototype = Socket.prototype as unknown as { _writeGeneric: (...args: unknown[]) => unknown };
  const original = prototype._writeGeneric;
  let writes = 0;
  prototype._writeGeneric = function countedWrite(this: unknown, ...args: unknown[]) {
    writes++;
    return original.apply(this, args);
  };
  try {
    return await run(() => writes);
  } finally {
    prototype._writeGeneric = original;
  }
}

/**
 * Cache set/get at one concurrency on the bench's sweep row (100 keys, SET PX one day, GET +
 * deep-equal): stowage's redis:// beside raw ioredis variants, interleaved round by round, with
 * socket writes per operation. --only picks subjects (the keys of FACTORIES).
 */
export const redisConcurrency: Probe = {
  name: "redis-concurrency",
  summary: "redis cache set/get at --c concurrency: stowage ÷ raw ioredis variants, with writes per op",
  defaults: { n: 20_000, rounds: 7 },
  async run(settings, print) {
    const { n, rounds, concurrency, size } = settings;
    const ops = settings.flags.ops ?? ["set", "get"];
    const names = chosenSubjects(settings.only, ["ours", "raw", "raw-ap"], Object.keys(FACTORIES));
    const value = "s".repeat(size);
    await countingWrites(async (writes) => {
      const subjects: CacheSubject[] = [];
      try {
        for (const name of names) subjects.push(await (FACTORIES[name] as Factory)(settings, value));
        const results: RoundsBySubject = new Map(subjects.map((s) => [s.name, { set: [], get: [], writes: [] }]));
        const timed = async (op: (i: number) => Promise<unknown>): Promise<RoundTiming & { writes: number }> => {
          const before = writes();
          let wrong = 0;
          const timing = await timeLoops(n, concurrency, async (i) => {
            if ((await op(i)) === false) wrong++;
          });
          if (wrong > 0) throw new Error(`${wrong} wrong reads`);
          return { ...timing, writes: (writes() - before) / n };
        };
        for (const s of subjects) for (let i = 0; i < KEYS; i++) await s.set(i);
        const writesPerOp = new Map<string, number[]>();
        for (let round = -1; round < rounds; round++) {
          for (const s of rotated(subjects, round)) {
            for (const op of ops) {
              const run =
                op === "set"
                  ? await timed((i) => s.set(i))
                  : await timed(async (i) => isDeepStrictEqual(await s.get(i), value));
              if (round < 0) continue;
              results.get(s.name)?.[op]?.push(run);
              writesPerOp.set(`${s.name} ${op}`, [...(writesPerOp.get(`${s.name} ${op}`) ?? []), run.writes]);
            }
          }
        }
        printPairedRounds(results, ops, `c=${concurrency} n=${n} rounds=${rounds} size=${size}`, print);
        for (const [subjectOp, perRound] of writesPerOp) {
          print(`${subjectOp.padEnd(30)} socket writes/op ${median(perRound).toFixed(3)}`);
        }
      } finally {
        for (const s of subjects) await s.close();
      }
    });
  },
};
