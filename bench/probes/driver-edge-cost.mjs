// What the one driver edge (core's wrapDriver) costs on the hottest paths: a cache get on memory
// and on SQLite, through the store, with the backend's drivers wrapped (as shipped) and unwrapped
// (the raw driver behind the same facade), in one process, rounds interleaved, median of rounds.
// Also the driver alone (its get, raw vs behind the edge), where the edge's few ns are not lost in the store's cost.
// Run: node bench/probes/driver-edge-cost.mjs [rounds=15] [opsPerRound=100000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storageFromBackend } from "@stowage/core";
import { adapter as memory } from "@stowage/memory";
import { adapter as sqlite } from "@stowage/sqlite";

const rounds = Number(process.argv[2] ?? 15);
const ops = Number(process.argv[3] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "stowage-edge-cost-"));

/** The same backend, but handing out the raw drivers the edge wraps. */
function unwrapped(backend) {
  return new Proxy(backend, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === "cache" || property === "lock" || property === "checkpoint") {
        return (namespace) => Object.getPrototypeOf(value.call(target, namespace));
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function open(adapter, url) {
  const parsed = new URL(url);
  return adapter.open({ url: parsed, params: parsed.searchParams, options: {} });
}

async function subjects(name, adapter, url) {
  const backend = await open(adapter, url);
  const wrapped = storageFromBackend(backend, { namespace: "edge" });
  const raw = storageFromBackend(unwrapped(backend), { namespace: "edge" });
  await wrapped.cache.set("k", "value");
  const edgeDriver = backend.cache("edge");
  return {
    name,
    wrapped: wrapped.cache,
    raw: raw.cache,
    driverWrapped: edgeDriver,
    driverRaw: Object.getPrototypeOf(edgeDriver),
  };
}

async function opsPerSecond(cache) {
  const start = performance.now();
  for (let i = 0; i < ops; i++) await cache.get("k");
  return ops / ((performance.now() - start) / 1000);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const all = [
  await subjects("memory", memory, "memory://"),
  await subjects("sqlite", sqlite, `sqlite://${join(dir, "edge.db")}`),
];
for (const subject of all) {
  await opsPerSecond(subject.raw);
  await opsPerSecond(subject.wrapped);
}
/** ns per get on the driver itself. */
async function driverNs(driver) {
  const start = performance.now();
  for (let i = 0; i < ops; i++) await driver.get("k");
  return ((performance.now() - start) * 1e6) / ops;
}

for (const subject of all) {
  const raw = [];
  const wrapped = [];
  for (let round = 0; round < rounds; round++) {
    const first = round % 2 === 0;
    if (first) raw.push(await driverNs(subject.driverRaw));
    wrapped.push(await driverNs(subject.driverWrapped));
    if (!first) raw.push(await driverNs(subject.driverRaw));
  }
  console.log(
    `${subject.name} driver get: raw ${median(raw).toFixed(0)} ns, through the edge ${median(wrapped).toFixed(0)} ns (+${(median(wrapped) - median(raw)).toFixed(0)} ns)`,
  );
}

for (const subject of all) {
  const raw = [];
  const wrapped = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so neither always runs on a warmer or cooler machine.
    if (round % 2 === 0) {
      raw.push(await opsPerSecond(subject.raw));
      wrapped.push(await opsPerSecond(subject.wrapped));
    } else {
      wrapped.push(await opsPerSecond(subject.wrapped));
      raw.push(await opsPerSecond(subject.raw));
    }
  }
  const ratios = raw.map((r, i) => r / wrapped[i]);
  console.log(
    `${subject.name} cache get: raw ${Math.round(median(raw))} ops/s, through the edge ${Math.round(median(wrapped))} ops/s, ` +
      `raw ÷ edge per round median ${median(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})`,
  );
}
rmSync(dir, { recursive: true, force: true });
