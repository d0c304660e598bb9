// Cache set/get at one concurrency: stowage's redis:// beside raw ioredis, interleaved round by
// round, with wall-clock ops/s and CPU µs per operation (process.cpuUsage, steadier on a shared
// machine). The workload is the bench's sweep row: 100 keys, a 100-byte string, SET PX one day,
// GET + deep-equal. Usage (after `npx tsc -b adapters/redis`):
//   node adapters/redis/bench/concurrency.mjs redis://127.0.0.1:PORT [--c 64] [--n 20000] [--rounds 7] [--size 100]
//     [--only ours,raw-ap,...]
import { Socket } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { createStorage } from "@stowage/core";
import { Redis } from "ioredis";
import { option, url } from "./args.mjs";
import { printReport } from "./report.mjs";

const concurrency = Number(option("c", "64"));
const n = Number(option("n", "20000"));
const rounds = Number(option("rounds", "7"));
const size = Number(option("size", "100"));
const ops = option("ops", "set,get").split(",");
const only = option("only", "")?.split(",").filter(Boolean) ?? [];
const DAY_MS = 86_400_000;
// Socket writes (write/writev system calls) per operation: how well commands were batched.
let writes = 0;
const writeGeneric = Socket.prototype._writeGeneric;
Socket.prototype._writeGeneric = function countedWrite(...writeArgs) {
  writes++;
  return writeGeneric.apply(this, writeArgs);
};
const KEYS = 100;
const value = "s".repeat(size);

async function rawSubject(name, options, asBuffer = false, corked = false) {
  let plain;
  if (options === "adapter") {
    // The adapter's own client options (fail fast, command timeout, …), driven like plain ioredis.
    const { serverClient } = await import("../dist/client.js");
    const { parseRedisUrl } = await import("../dist/options.js");
    const parsed = parseRedisUrl(new URL(url), new URLSearchParams(), {});
    plain = serverClient({ ...parsed, autoPipelining: false }, parsed.hosts[0]);
  } else plain = new Redis(url, { lazyConnect: true, ...options });
  await plain.connect();
  // corked: the same per-turn batching as the adapter's RedisConnection, so only the layers above differ.
  let pending = false;
  let text = "";
  const uncork = () => {
    pending = false;
    if (corked === "collect") {
      delete plain.stream.write;
      const data = text;
      text = "";
      plain.stream.write(data);
    } else plain.stream.uncork();
  };
  const collect = (chunk) => {
    text += chunk;
    return true;
  };
  const client = !corked
    ? plain
    : new Proxy(plain, {
        get(target, property) {
          const member = target[property];
          if (typeof member !== "function" || property === "quit" || property === "unlink") return member;
          return (...callArgs) => {
            if (!pending) {
              pending = true;
              if (corked === "collect") target.stream.write = collect;
              else target.stream.cork();
              process.nextTick(uncork);
            }
            return member.apply(target, callArgs);
          };
        },
      });
  const prefix = `concurrency-bench:${name}:${process.pid}:`;
  return {
    name,
    set: asBuffer
      ? (i) => client.set(`${prefix}${i % KEYS}`, Buffer.from(JSON.stringify(value)), "PX", DAY_MS)
      : (i) => client.set(`${prefix}${i % KEYS}`, JSON.stringify(value), "PX", DAY_MS),
    get: async (i) => {
      const raw = await client.get(`${prefix}${i % KEYS}`);
      return raw === null ? undefined : JSON.parse(raw);
    },
    close: async () => {
      const keys = Array.from({ length: KEYS }, (_, i) => `${prefix}${i}`);
      await client.unlink(...keys);
      await client.quit();
    },
  };
}

async function stowageSubject(name, subjectUrl) {
  const storage = await createStorage({ url: subjectUrl, namespace: `concurrency-bench-${process.pid}-${name}` });
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

async function driverSubject(name) {
  const { adapter } = await import("@stowage/redis");
  const backend = await adapter.open({ url: new URL(url), params: new URLSearchParams(), options: {} });
  const driver = backend.cache(`concurrency-bench-${process.pid}-${name}`);
  const encoded = Buffer.from(JSON.stringify(value));
  return {
    name,
    set: (i) => driver.set(`k${i % KEYS}`, { value: encoded, expiresAt: Date.now() + DAY_MS }),
    get: async (i) => JSON.parse((await driver.getValue(`k${i % KEYS}`)).toString()),
    close: async () => {
      await driver.clear();
      await backend.close();
    },
  };
}

const factories = {
  driver: () => driverSubject("driver"),
  ours: () => stowageSubject("ours", url),
  "ours-noap": () => stowageSubject("ours-noap", `${url}${url.includes("?") ? "&" : "?"}autoPipelining=false`),
  raw: () => rawSubject("raw", {}),
  "raw-ap": () => rawSubject("raw-ap", { enableAutoPipelining: true }),
  "raw-adapter-options": () => rawSubject("raw-adapter-options", "adapter"),
  "raw-cork": () => rawSubject("raw-cork", {}, false, true),
  // Like raw-cork, but the turn's command strings are joined and written as one string (as ioredis's pipelines do).
  "raw-collect": () => rawSubject("raw-collect", {}, false, "collect"),
  "raw-buffer": () => rawSubject("raw-buffer", {}, true),
  "raw-timeout": () => rawSubject("raw-timeout", { commandTimeout: 2000 }),
  "raw-ap-buffer": () => rawSubject("raw-ap-buffer", { enableAutoPipelining: true }, true),
  "raw-ap-timeout": () => rawSubject("raw-ap-timeout", { enableAutoPipelining: true, commandTimeout: 2000 }),
};
const names = only.length > 0 ? only : ["ours", "raw", "raw-ap"];
const subjects = [];
for (const name of names) subjects.push(await factories[name]());

async function timed(op) {
  let next = 0;
  let wrong = 0;
  const loop = async () => {
    while (next < n) {
      const result = await op(next++);
      if (result === false) wrong++;
    }
  };
  const writesBefore = writes;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  if (wrong > 0) throw new Error(`${wrong} wrong reads`);
  return { opsPerSec: (n * 1000) / wallMs, cpuUs: (used.user + used.system) / n, writes: (writes - writesBefore) / n };
}

const results = new Map(subjects.map((s) => [s.name, { set: [], get: [] }]));
for (const s of subjects) for (let i = 0; i < KEYS; i++) await s.set(i);
for (let round = -1; round < rounds; round++) {
  // Rotate the order each round so no subject always runs first or last.
  const order = subjects.map((_, k) => subjects[(k + Math.max(0, round)) % subjects.length]);
  for (const s of order) {
    const set = ops.includes("set") ? await timed((i) => s.set(i)) : undefined;
    const get = ops.includes("get") ? await timed(async (i) => isDeepStrictEqual(await s.get(i), value)) : undefined;
    if (round >= 0) {
      if (set) results.get(s.name).set.push(set);
      if (get) results.get(s.name).get.push(get);
    }
  }
}
printReport(results, ops, `c=${concurrency} n=${n} rounds=${rounds} size=${size}`, { writesPerOp: ["writes", 3] });
for (const s of subjects) await s.close();
