/**
 * A separate process for the multi-process tests. argv: mode, then mode arguments. It opens
 * STOWAGE_CONFORMANCE_URL with createStorage, prints "ready", and waits for "go" on stdin so
 * that every worker starts at once. Results are JSON lines on stdout.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createStorage, parseMultiHostUrl } from "@stowage/core";
import { countedIncrements, type LockStep, LockStepRunner } from "../lock/lock-commands.js";

const [mode = "", ...args] = process.argv.slice(2);
const url = process.env.STOWAGE_CONFORMANCE_URL;
if (!url) throw new Error("STOWAGE_CONFORMANCE_URL is not set");
for (const specifier of JSON.parse(process.env.STOWAGE_CONFORMANCE_IMPORTS ?? "[]") as string[])
  await import(specifier);

const say = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise<string>((resolve) => lines.once("line", resolve));

const storage = await createStorage(url);
say({ ready: true });
if (mode !== "hold" && mode !== "writer" && mode !== "lock-steps") await nextLine();

if (mode === "counter") {
  // callers (default 1) concurrent callers of this one storage share the iterations' pattern.
  const [name = "", counterFile = "", iterationsText = "0", callersText = "1"] = args;
  const records = await countedIncrements(storage, name, Number(iterationsText), Number(callersText), {
    read: () => Number(readFileSync(counterFile, "utf8")),
    write: (value) => writeFileSync(counterFile, String(value)),
  });
  say({ records });
} else if (mode === "lock-steps") {
  // One LockStep per line on stdin, until stdin ends; LockEvents on stdout.
  const runner = new LockStepRunner(storage, say);
  lines.on("line", (line) => runner.run(JSON.parse(line) as LockStep));
  await new Promise((resolve) => lines.once("close", resolve));
  await runner.releaseAll();
} else if (mode === "hold") {
  const [name = "", ttlText = "1000"] = args;
  const lease = await storage.lock.acquire(name, { ttl: Number(ttlText), waitMs: 10_000 });
  say({ token: lease.token.toString(), acquiredAt: Date.now() });
  setInterval(() => {}, 60_000);
} else if (mode === "atomic") {
  const [id = "0", countText = "0"] = args;
  const count = Number(countText);
  const won = await storage.cache.add("winner", Number(id));
  for (let i = 0; i < count; i++) {
    await Promise.all([storage.cache.incr("counter"), storage.cache.json.set("doc", `$.w${id}_${i}`, i)]);
  }
  say({ done: true, won });
} else if (mode === "writer") {
  const payload = "p".repeat(2048);
  for (let i = 0; ; i++) {
    await storage.cache.set(`acked:${i}`, { i, payload });
    await storage.checkpoint.put({ threadId: "crash", payload: { i, payload }, metadata: { i } });
    say({ acked: i });
  }
} else if (mode === "maintain") {
  // Maintenance in a loop until a line on stdin: gc of this namespace, prune of the given
  // threads, and clear() of another namespace. Each error is reported, not thrown.
  const [neighbourNamespace = "", threadsText = ""] = args;
  const threads = threadsText.split(",").filter(Boolean);
  const neighbourUrl = parseMultiHostUrl(url);
  neighbourUrl.searchParams.set("namespace", neighbourNamespace);
  const neighbour = await createStorage(neighbourUrl.href);
  let stopping = false;
  lines.once("line", () => {
    stopping = true;
  });
  const errors: string[] = [];
  const attempt = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      if (errors.length < 20) errors.push(`${what}: ${(error as Error).message}`);
    }
  };
  let rounds = 0;
  while (!stopping) {
    await attempt("cache.gc", () => storage.cache.gc());
    await attempt("checkpoint.gc", () => storage.checkpoint.gc());
    for (const thread of threads) await attempt("prune", () => storage.checkpoint.prune(thread, { keepLast: 2 }));
    await attempt("neighbour clear", () => neighbour.cache.clear());
    rounds++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await neighbour.close();
  say({ rounds, errors });
} else {
  throw new Error(`unknown worker mode ${mode}`);
}
await storage.close();
lines.close();
