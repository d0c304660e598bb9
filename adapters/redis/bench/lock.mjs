// Lock acquire + release (one at a time, or --c loops at once): stowage's redis:// beside the redlock package (one
// primary, as the bench's `redlock` peer) and a raw SET NX PX + compare-and-delete script,
// interleaved round by round, with ops/s and CPU µs per operation (process.cpuUsage).
// Every acquire takes a new name, as the bench's seed rows do. Usage (after `npx tsc -b adapters/redis`):
//   node adapters/redis/bench/lock.mjs redis://127.0.0.1:PORT [--n 2000] [--rounds 9] [--c 1] [--only ours,redlock,raw,raw-script] [--alternate]
import { createStorage } from "@stowage/core";
import { Redis } from "ioredis";
import Redlock from "redlock";
import { option, url } from "./args.mjs";
import { printReport } from "./report.mjs";

const n = Number(option("n", "2000"));
const concurrency = Number(option("c", "1"));
const rounds = Number(option("rounds", "9"));
const only = option("only", "").split(",").filter(Boolean);
// --alternate: acquire and release each name in turn, as the repository bench's seed rows do (ops are pairs).
const alternate = process.argv.includes("--alternate");
const TTL = 30_000;
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;
const prefix = `lock-bench:${process.pid}:`;

const factories = {
  ours: async () => {
    const storage = await createStorage({ url, namespace: `lock-bench-${process.pid}` });
    return {
      acquire: (name) => storage.lock.acquire(name, { ttl: TTL, waitMs: 0 }),
      release: (lease) => lease.release(),
      close: () => storage.close(),
    };
  },
  redlock: async () => {
    const client = new Redis(url);
    const redlock = new Redlock([client], { retryCount: 0 });
    redlock.on("error", () => {});
    return {
      acquire: (name) => redlock.acquire([`${prefix}redlock:${name}`], TTL),
      release: (lock) => lock.release(),
      close: () => client.quit(),
    };
  },
  // ioredis running this adapter's own acquire/release scripts without core or the driver: what
  // the Lua (lease + fencing counter) costs apart from the layers above it.
  "raw-script": async () => {
    const { lockAcquire, lockRelease } = await import("../dist/scripts/lock-scripts.js");
    const client = new Redis(url);
    client.defineCommand("benchAcquire", { numberOfKeys: 2, lua: lockAcquire.lua });
    client.defineCommand("benchRelease", { numberOfKeys: 1, lua: lockRelease.lua });
    return {
      acquire: async (name) => {
        const key = `${prefix}script:{${name}}`;
        const token = await client.benchAcquire(`${key}:lease`, `${key}:fence`, TTL);
        if (token === null) throw new Error("held");
        return { key: `${key}:lease`, token };
      },
      release: ({ key, token }) => client.benchRelease(key, token),
      close: () => client.quit(),
    };
  },
  raw: async () => {
    const client = new Redis(url);
    let tokens = 0;
    return {
      acquire: async (name) => {
        const key = `${prefix}raw:${name}`;
        const token = `${process.pid}:${++tokens}`;
        if ((await client.set(key, token, "PX", TTL, "NX")) === null) throw new Error("held");
        return { key, token };
      },
      release: ({ key, token }) => client.eval(RELEASE, 1, key, token),
      close: () => client.quit(),
    };
  },
};
const names = only.length > 0 ? only : ["ours", "redlock", "raw"];
const subjects = [];
for (const name of names) subjects.push({ name, ...(await factories[name]()) });

function measure(fn) {
  return async () => {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const result = await fn();
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    return { result, opsPerSec: (n * 1000) / wallMs, cpuUs: (used.user + used.system) / n };
  };
}

const results = new Map(subjects.map((s) => [s.name, { acquire: [], release: [], pair: [] }]));
for (let round = -1; round < rounds; round++) {
  const order = subjects.map((_, k) => subjects[(k + Math.max(0, round)) % subjects.length]);
  for (const s of order) {
    if (alternate) {
      // The seed row's loop: each name acquired and at once released, one pair after another.
      const pairs = await measure(async () => {
        let next = 0;
        const loop = async () => {
          while (next < n) {
            const i = next++;
            await s.release(await s.acquire(`r${round}:${i}`));
          }
        };
        await Promise.all(Array.from({ length: concurrency }, loop));
      })();
      if (round >= 0) results.get(s.name).pair.push(pairs);
      continue;
    }
    const acquired = await measure(async () => {
      const held = [];
      let next = 0;
      const loop = async () => {
        while (next < n) {
          const i = next++;
          held[i] = await s.acquire(`r${round}:${i}`);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, loop));
      return held;
    })();
    const released = await measure(async () => {
      let next = 0;
      const loop = async () => {
        while (next < n) await s.release(acquired.result[next++]);
      };
      await Promise.all(Array.from({ length: concurrency }, loop));
    })();
    if (round >= 0) {
      results.get(s.name).acquire.push(acquired);
      results.get(s.name).release.push(released);
    }
  }
}
const reported = alternate ? ["pair"] : ["acquire", "release"];
printReport(
  results,
  reported,
  `n=${n} rounds=${rounds} c=${concurrency}${alternate ? " (acquire+release pairs)" : ""}`,
);
for (const s of subjects) await s.close();
