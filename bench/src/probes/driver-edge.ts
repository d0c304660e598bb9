import { join } from "node:path";
import { type Backend, type CacheDriver, type StowageAdapter, storageFromBackend } from "@stowage/core";
import { adapter as memory } from "@stowage/memory";
import { adapter as sqlite } from "@stowage/sqlite";
import { scratchDir } from "../peers/temp-dir.js";
import { median } from "../stats.js";
import type { Probe } from "./probe.js";

/** The same backend, handing out the raw drivers core's wrapDriver wraps (each wrapper's prototype). */
function unwrapped(backend: Backend): Backend {
  return new Proxy(backend, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === "cache" || property === "lock" || property === "checkpoint") {
        return (namespace: string) => Object.getPrototypeOf((value as (ns: string) => object).call(target, namespace));
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

interface EdgeSubject {
  name: string;
  backend: Backend;
  wrapped: { get(key: string): Promise<unknown> };
  raw: { get(key: string): Promise<unknown> };
  driverWrapped: CacheDriver;
  driverRaw: CacheDriver;
}

async function edgeSubject(name: string, adapter: StowageAdapter, url: string): Promise<EdgeSubject> {
  const parsed = new URL(url);
  const backend = await adapter.open({ url: parsed, params: parsed.searchParams, options: {} });
  const wrapped = storageFromBackend(backend, { namespace: "edge" });
  const raw = storageFromBackend(unwrapped(backend), { namespace: "edge" });
  await wrapped.cache.set("k", "value");
  const driverWrapped = backend.cache("edge");
  return {
    name,
    backend,
    wrapped: wrapped.cache,
    raw: raw.cache,
    driverWrapped,
    driverRaw: Object.getPrototypeOf(driverWrapped) as CacheDriver,
  };
}

/** Nanoseconds per `get("k")` over n calls. */
async function nsPerGet(target: { get(key: string): Promise<unknown> }, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await target.get("k");
  return Number(process.hrtime.bigint() - start) / n;
}

/** Times `a` and `b` in rounds, alternating which goes first so neither always runs on a warmer machine. */
async function alternate(rounds: number, a: () => Promise<number>, b: () => Promise<number>) {
  const first: number[] = [];
  const second: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      first.push(await a());
      second.push(await b());
    } else {
      second.push(await b());
      first.push(await a());
    }
  }
  return { a: first, b: second };
}

/**
 * What the one driver edge (core's wrapDriver) costs on the hottest path, a cache get on memory and
 * SQLite: the driver alone (raw vs behind the edge, where its ns are not lost in the store's) and
 * through the store (drivers wrapped as shipped vs the raw drivers behind the same facade).
 */
export const driverEdge: Probe = {
  name: "driver-edge",
  summary: "cache get on memory and SQLite, raw driver ÷ behind wrapDriver, alternating rounds",
  defaults: { n: 100_000, rounds: 15 },
  async run({ n, rounds }, print) {
    const scratch = await scratchDir("driver-edge");
    const subjects: EdgeSubject[] = [];
    try {
      subjects.push(await edgeSubject("memory", memory, "memory://"));
      subjects.push(await edgeSubject("sqlite", sqlite, `sqlite://${join(scratch.path, "edge.db")}`));
      for (const subject of subjects) {
        await nsPerGet(subject.raw, n); // warm-up: JIT and page cache
        await nsPerGet(subject.wrapped, n);
      }
      for (const s of subjects) {
        const { a: raw, b: edge } = await alternate(
          rounds,
          () => nsPerGet(s.driverRaw, n),
          () => nsPerGet(s.driverWrapped, n),
        );
        print(
          `${s.name} driver get: raw ${median(raw).toFixed(0)} ns, through the edge ${median(edge).toFixed(0)} ns (+${(median(edge) - median(raw)).toFixed(0)} ns)`,
        );
      }
      for (const s of subjects) {
        const { a: raw, b: edge } = await alternate(
          rounds,
          () => nsPerGet(s.raw, n),
          () => nsPerGet(s.wrapped, n),
        );
        // Same n per round, so raw ops/s ÷ edge ops/s is edge ns ÷ raw ns.
        const ratios = raw.map((r, i) => (edge[i] as number) / r);
        print(
          `${s.name} cache get: raw ${(1e9 / median(raw)).toFixed(0)} ops/s, through the edge ${(1e9 / median(edge)).toFixed(0)} ops/s, raw ÷ edge per round median ${median(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})`,
        );
      }
    } finally {
      for (const subject of subjects) await subject.backend.close();
      await scratch.remove();
    }
  },
};
