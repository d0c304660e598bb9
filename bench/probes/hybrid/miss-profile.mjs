/**
 * The getOrSet-on-new-keys workload alone, interleaved: stowage hybrid (with and without a bus), a
 * plain redis:// cache and cacheable: ops/s,
 * client CPU µs per op, redis-server CPU µs per op and Redis commands per op (INFO commandstats).
 *
 *   npx tsc -b packages/hybrid adapters/redis bench && node bench/probes/hybrid/miss-profile.mjs
 *
 * Env: MISS_OPS (keys per measurement, default 20000), MISS_ROUNDS (default 5), MISS_SUBJECTS (comma list),
 * MISS_MODE=l2hit (the keys are written first by another instance: getOrSet reads L2 and fills L1),
 * MISS_BASELINE_DIST=<a copy of an earlier packages/core/dist> for subject stowage-baseline (A/B in one process).
 * Socket writes per op are printed when a preload counts them (globalThis.__writes, __writevs, __writevChunks).
 * MISS_CPU_PROFILE=<file.cpuprofile>: a V8 CPU profile of the timed loops only (not the set-up), for --cpu-prof-like analysis.
 */

import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import KeyvRedis from "@keyv/redis";
import { createStorage } from "@stowage/core";
import { createHybridCache } from "@stowage/hybrid";
import { openBus } from "@stowage/redis";
import { startStandalone } from "@stowage/redis/testing";
import { Cacheable } from "cacheable";
import { Redis } from "ioredis";
import { Keyv } from "keyv";
import { median } from "../../dist/stats.js";

const value = (i) => ({ id: i, name: `item-${i}`, status: "running", tags: ["a", "b"], score: i * 0.5 });
const ops = Number(process.env.MISS_OPS ?? 20_000);
const rounds = Number(process.env.MISS_ROUNDS ?? 5);
// MISS_REDIS: redis://127.0.0.1:PORT of a server you started (not stopped at the end); default: one started for the run.
const server = process.env.MISS_REDIS
  ? { url: process.env.MISS_REDIS, port: Number(new URL(process.env.MISS_REDIS).port), stop: async () => {} }
  : await startStandalone();
const admin = new Redis(server.port, "127.0.0.1");

const subjects = {
  stowage: async (run) => {
    const l2 = await createStorage({ url: server.url, namespace: `bench-${run}` });
    const bus = await openBus({ url: new URL(server.url), params: new URLSearchParams(), options: {} });
    // A second instance subscribed, as in hybrid-bench (so the bus has a listener).
    const other = await openBus({ url: new URL(server.url), params: new URLSearchParams(), options: {} });
    const cache = createHybridCache({ l2: l2.cache, bus, l1: { maxEntries: 100_000 } });
    return {
      getOrSet: (key, load, ttl) => cache.getOrSet(key, load, { ttl }),
      extra: async () => `busSent ${cache.tiers.stats().busSent}`,
      close: async () => {
        await cache.close();
        await bus.close();
        await other.close();
        await l2.close();
      },
    };
  },
  // A/B: a copy of an earlier build of core's dist in MISS_BASELINE_DIST (its createHybridCache over the same L2 and bus).
  "stowage-baseline": async (run) => {
    const baseline = await import(`${process.env.MISS_BASELINE_DIST}/index.js`);
    const l2 = await createStorage({ url: server.url, namespace: `base-${run}` });
    const bus = await openBus({ url: new URL(server.url), params: new URLSearchParams(), options: {} });
    const other = await openBus({ url: new URL(server.url), params: new URLSearchParams(), options: {} });
    const cache = baseline.createHybridCache({ l2: l2.cache, bus, l1: { maxEntries: 100_000 } });
    return {
      getOrSet: (key, load, ttl) => cache.getOrSet(key, load, { ttl }),
      extra: async () => "",
      close: async () => {
        await cache.close();
        await bus.close();
        await other.close();
        await l2.close();
      },
    };
  },
  "stowage-nobus": async (run) => {
    const l2 = await createStorage({ url: server.url, namespace: `nobus-${run}` });
    const cache = createHybridCache({ l2: l2.cache, l1: { maxEntries: 100_000 } });
    return {
      getOrSet: (key, load, ttl) => cache.getOrSet(key, load, { ttl }),
      extra: async () => "",
      close: async () => {
        await cache.close();
        await l2.close();
      },
    };
  },
  "redis-only": async (run) => {
    const l2 = await createStorage({ url: server.url, namespace: `plain-${run}` });
    return {
      getOrSet: (key, load, ttl) => l2.cache.getOrSet(key, load, { ttl }),
      extra: async () => "",
      close: () => l2.close(),
    };
  },
  cacheable: async (run) => {
    const namespace = `cacheable-${run}`;
    const secondary = new Keyv({ store: new KeyvRedis(server.url, { namespace }), namespace });
    secondary.on("error", () => {});
    const cache = new Cacheable({ secondary });
    return {
      getOrSet: (key, load, ttl) => cache.getOrSet(key, load, { ttl }),
      extra: async () => "",
      close: () => cache.disconnect(),
    };
  },
};
const hitMode = process.env.MISS_MODE === "l2hit";
const chosen = (process.env.MISS_SUBJECTS ?? "stowage,cacheable").split(",");

function parseInfo(text) {
  const out = {};
  for (const line of text.split("\r\n")) {
    const [k, v] = line.split(":");
    if (v !== undefined) out[k] = v;
  }
  return out;
}
async function serverSnapshot() {
  const cpu = parseInfo(await admin.info("cpu"));
  const stats = parseInfo(await admin.info("commandstats"));
  let calls = 0;
  const per = {};
  for (const [k, v] of Object.entries(stats)) {
    const m = /calls=(\d+)/.exec(v);
    if (m) {
      per[k] = Number(m[1]);
      calls += Number(m[1]);
    }
  }
  return { cpu: Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys), calls, per };
}

const profileFile = process.env.MISS_CPU_PROFILE;
const inspector = profileFile ? new Session() : undefined;
if (inspector) {
  inspector.connect();
  await inspector.post("Profiler.enable");
  await inspector.post("Profiler.setSamplingInterval", { interval: 100 });
}
const results = {};
for (let round = 0; round < rounds; round++) {
  await admin.flushall(); // every round starts from an empty server (also one given by MISS_REDIS)
  const order = round % 2 ? [...chosen].reverse() : chosen;
  for (const name of order) {
    const subject = await subjects[name](`r${round}`);
    // warm-up
    for (let i = 0; i < 500; i++) await subject.getOrSet(`warm:${round}:${i}`, () => value(i), 600_000);
    if (hitMode) {
      // The keys exist in L2 only (written by another instance): getOrSet reads L2 and fills L1.
      const writer = await subjects[name](`r${round}`);
      for (let i = 0; i < ops; i += 500)
        await Promise.all(
          Array.from({ length: 500 }, (_, j) => writer.getOrSet(`miss:${round}:${i + j}`, () => value(i + j), 600_000)),
        );
      await writer.close();
    }
    const w0 = [globalThis.__writes ?? 0, globalThis.__writevs ?? 0, globalThis.__writevChunks ?? 0];
    const s0 = await serverSnapshot();
    const c0 = process.cpuUsage();
    let next = 0;
    if (inspector) await inspector.post("Profiler.start");
    const start = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < ops; i = next++) await subject.getOrSet(`miss:${round}:${i}`, () => value(i), 600_000);
      }),
    );
    const ms = performance.now() - start;
    const c1 = process.cpuUsage(c0);
    if (inspector) {
      const { profile } = await inspector.post("Profiler.stop");
      writeFileSync(profileFile.replace(/(\.cpuprofile)?$/, `.${name}.r${round}.cpuprofile`), JSON.stringify(profile));
    }
    const s1 = await serverSnapshot();
    const cmds = Object.entries(s1.per)
      .map(([k, v]) => [k.replace("cmdstat_", ""), v - (s0.per[k] ?? 0)])
      .filter(([k, v]) => v > 0 && k !== "info")
      .map(([k, v]) => `${k}=${(v / ops).toFixed(2)}`)
      .join(" ");
    const writes =
      globalThis.__writes === undefined
        ? ""
        : ` socket.write/op ${((globalThis.__writes - w0[0]) / ops).toFixed(2)}, _writev/op ${((globalThis.__writevs - w0[1]) / ops).toFixed(2)} (chunks ${((globalThis.__writevChunks - w0[2]) / ops).toFixed(2)})`;
    const row = {
      opsPerSec: ops / (ms / 1000),
      clientUs: (c1.user + c1.system) / ops,
      serverUs: ((s1.cpu - s0.cpu) * 1e6) / ops,
    };
    results[name] ??= [];
    results[name].push(row);
    console.log(
      `${name.padEnd(9)} r${round}: ${Math.round(row.opsPerSec)} ops/s, client ${row.clientUs.toFixed(1)} µs/op, server ${row.serverUs.toFixed(1)} µs/op, per op: ${cmds} ${await subject.extra()}${writes}`,
    );
    await subject.close();
  }
}
for (const name of chosen) {
  const rows = results[name];
  console.log(
    `${name} median: ${Math.round(median(rows.map((r) => r.opsPerSec)))} ops/s, client ${median(rows.map((r) => r.clientUs)).toFixed(1)} µs/op, server ${median(rows.map((r) => r.serverUs)).toFixed(1)} µs/op`,
  );
}
admin.disconnect();
await server.stop();
