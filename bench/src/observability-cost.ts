// What observability costs a cache get: before the change (another build of core, given as the
// first argument), after it with no subscriber, and with a tracing and a hit/miss subscriber.
// Paired rounds in one process, variants in a fresh random order each round; ratios of medians.
// node bench/dist/observability-cost.js [/path/to/old/packages/core/dist/index.js] [--rounds 15] [--ops 20000]
import diagnostics from "node:diagnostics_channel";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createStorage, EVENT_CHANNELS, type Storage, TRACE_CHANNELS } from "@stowage/core";
import { median } from "./stats.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const rounds = flag("--rounds", 15);
const ops = flag("--ops", 20_000);
const beforePath = args[0] !== undefined && !args[0].startsWith("--") ? args[0] : undefined;

type Open = (url: string) => Promise<Storage>;
const openBefore: Open | undefined = beforePath
  ? ((await import(pathToFileURL(beforePath).href)) as { createStorage: Open }).createStorage
  : undefined;

/** Subscribers a service would add: every operation traced, hits and misses counted. */
function subscribe(): () => void {
  let seen = 0;
  const count = () => {
    seen++;
  };
  const trace = diagnostics.tracingChannel(TRACE_CHANNELS.cache);
  const handlers = { start: count, asyncEnd: count, error: count };
  trace.subscribe(handlers as never);
  diagnostics.subscribe(EVENT_CHANNELS.cacheHit, count);
  diagnostics.subscribe(EVENT_CHANNELS.cacheMiss, count);
  return () => {
    trace.unsubscribe(handlers as never);
    diagnostics.unsubscribe(EVENT_CHANNELS.cacheHit, count);
    diagnostics.unsubscribe(EVENT_CHANNELS.cacheMiss, count);
    if (seen === 0) throw new Error("the subscribed variant saw no event");
  };
}

async function opsPerSec(storage: Storage): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await storage.cache.get(`k${i % 100}`);
  return ops / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function measure(backend: string, url: (variant: string) => string): Promise<void> {
  const variants: { name: string; storage: Storage; subscribed: boolean }[] = [];
  if (openBefore) variants.push({ name: "before", storage: await openBefore(url("before")), subscribed: false });
  variants.push({ name: "after, no subscriber", storage: await createStorage(url("after")), subscribed: false });
  variants.push({ name: "after, subscribed", storage: await createStorage(url("subscribed")), subscribed: true });
  for (const { storage } of variants) for (let i = 0; i < 100; i += 2) await storage.cache.set(`k${i}`, { i });
  const results = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < rounds + 1; round++) {
    const order = [...variants].sort(() => Math.random() - 0.5);
    for (const variant of order) {
      const unsubscribe = variant.subscribed ? subscribe() : undefined;
      const rate = await opsPerSec(variant.storage);
      unsubscribe?.();
      if (round > 0) results.get(variant.name)?.push(rate); // round 0 warms up
    }
  }
  const base = median(results.get(variants[0]?.name ?? "") ?? []);
  for (const [name, rates] of results) {
    const m = median(rates);
    console.log(`${backend}\t${name}\t${Math.round(m)} gets/s\t${(m / base).toFixed(3)}× ${variants[0]?.name}`);
  }
  for (const { storage } of variants) await storage.close();
}

const dir = await mkdtemp(join(tmpdir(), "stowage-obs-cost-"));
try {
  await measure("memory", (variant) => `memory://cost-${variant}`);
  await measure("sqlite", (variant) => `sqlite://${join(dir, `${variant}.db`)}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
