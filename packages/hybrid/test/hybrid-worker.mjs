/**
 * A separate process holding one hybrid cache instance (memory L1, Redis L2, Redis bus).
 * argv: redisUrl namespace. Commands are JSON lines on stdin; answers and reports JSON lines on stdout.
 * On every invalidation of "k" it reads "k" at once and reports what it read, and it keeps
 * reading "k" in the background, counting any read older than a value it already saw.
 */
import { createInterface } from "node:readline";
import { createStorage } from "@stowage/core";
import { createHybridCache } from "@stowage/hybrid";
import { openBus } from "@stowage/redis";

const [url = "", namespace = ""] = process.argv.slice(2);
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const l2 = await createStorage({ url, namespace });
const bus = await openBus({ url: new URL(url), params: new URLSearchParams(), options: {} });
const cache = createHybridCache({ l2: l2.cache, bus });
let newest = -1;
let staleReads = 0;
let reads = 0;

// Registered after the cache's own handler, so L1 has already dropped the key when this runs.
bus.subscribe((message) => {
  if (message.namespace !== namespace || !message.keys.includes("k")) return;
  const receivedNs = process.hrtime.bigint();
  cache.get("k").then((value) => {
    if (typeof value === "number") newest = Math.max(newest, value);
    say({ invalidated: true, value, receivedNs: receivedNs.toString() });
  });
});

let polling = false;
async function poll() {
  while (polling) {
    const floor = newest;
    const value = await cache.get("k");
    reads++;
    if (typeof value === "number" && value < floor) staleReads++;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const command = JSON.parse(line);
  if (command.op === "get") say({ id: command.id, value: (await cache.get(command.key)) ?? null });
  else if (command.op === "poll") {
    polling = true;
    void poll();
    say({ id: command.id });
  } else if (command.op === "stop") {
    polling = false;
    await new Promise((resolve) => setTimeout(resolve, 20));
    say({ id: command.id, staleReads, reads, stats: await cache.stats() });
    await cache.close();
    await bus.close();
    await l2.close();
    lines.close();
  }
});
say({ ready: true });
