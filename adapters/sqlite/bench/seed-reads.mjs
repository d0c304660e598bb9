// The seed's read rows against Python diskcache, in one run with interleaved rounds (the bench
// harness runs the Python peer's repeats in one separate window, so its diskcache column is not
// paired). Each round times N cache gets (100-byte text) and N checkpoint loads (latest of a thread,
// the seed's 1.9 KB payload) through createStorage, then the same through diskcache as
// bench/python/seed_diskcache.py does them (cache.get; json.loads(cache.get)) in a Python process,
// after one untimed pass over the keys on each side.
//
//   npx tsc -b adapters/sqlite && node adapters/sqlite/bench/seed-reads.mjs [--rounds 9] [--n 2000]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createStorage } from "@stowage/core";

const { values: args } = parseArgs({
  options: { rounds: { type: "string", default: "9" }, n: { type: "string", default: "2000" } },
});
const rounds = Number(args.rounds);
const n = Number(args.n);
const dir = mkdtempSync(join(tmpdir(), "stowage-seed-reads-"));
const python = join(dir, "diskcache_reads.py");
writeFileSync(
  python,
  `import diskcache, json, sys, time
d, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
payload = {"messages": ["m" * 100 for _ in range(18)], "step": 1}
with diskcache.Cache(d) as cache:
    if mode == "fill":
        for i in range(n):
            cache.set(f"cache:{i}", "v" * 100, expire=86400)
            cache.set(f"checkpoint:thread-{i}", json.dumps(payload), expire=7 * 86400)
        sys.exit(0)
    for i in range(n):  # warm, as the harness's Python peer is by its warm-up and earlier repeats
        cache.get(f"cache:{i}"); json.loads(cache.get(f"checkpoint:thread-{i}"))
    out = {}
    for row, fn in (("cache_get", lambda i: cache.get(f"cache:{i}")),
                    ("checkpoint_load", lambda i: json.loads(cache.get(f"checkpoint:thread-{i}")))):
        lat = []
        start = time.perf_counter_ns()
        for i in range(n):
            t0 = time.perf_counter_ns(); fn(i); lat.append(time.perf_counter_ns() - t0)
        lat.sort()
        out[row] = {"opsPerSec": n * 1e9 / (time.perf_counter_ns() - start), "p50": lat[n // 2] / 1000}
    print(json.dumps(out))
`,
);
const diskcacheDir = join(dir, "diskcache");
execFileSync("/usr/bin/python3", [python, diskcacheDir, String(n), "fill"]);

const storage = await createStorage({ url: `sqlite://${join(dir, "stowage.db")}`, namespace: "seed-reads" });
const payload = { messages: Array.from({ length: 18 }, () => "m".repeat(100)), step: 1 };
for (let i = 0; i < n; i++) {
  await storage.cache.set(`cache:${i}`, "v".repeat(100), { ttl: 86_400_000 });
  await storage.checkpoint.put({ threadId: `thread-${i}`, payload, metadata: { source: "bench" } }, { ttl: 6e8 });
}

async function ours() {
  const out = {};
  for (const [row, fn] of [
    ["cache_get", (i) => storage.cache.get(`cache:${i}`)],
    ["checkpoint_load", (i) => storage.checkpoint.get(`thread-${i}`)],
  ]) {
    const latencies = [];
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      if ((await fn(i)) === undefined) throw new Error(`${row}: nothing at ${i}`);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    latencies.sort((a, b) => a - b);
    out[row] = { opsPerSec: (n * 1e9) / Number(process.hrtime.bigint() - start), p50: latencies[n >> 1] };
  }
  return out;
}
const theirs = () =>
  JSON.parse(execFileSync("/usr/bin/python3", [python, diskcacheDir, String(n), "read"], { encoding: "utf8" }));

const runs = { stowage: [], diskcache: [] };
await ours();
for (let round = 0; round < rounds; round++) {
  if (round % 2) {
    runs.stowage.push(await ours());
    runs.diskcache.push(theirs());
  } else {
    runs.diskcache.push(theirs());
    runs.stowage.push(await ours());
  }
}
const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1];
for (const row of ["cache_get", "checkpoint_load"]) {
  const mine = runs.stowage.map((run) => run[row]);
  const peer = runs.diskcache.map((run) => run[row]);
  const ratios = mine.map((run, i) => run.opsPerSec / (peer[i]?.opsPerSec ?? Number.NaN));
  console.log(
    `${row.padEnd(16)} stowage ${median(mine.map((r) => r.opsPerSec)).toFixed(0)} ops/s (p50 ${median(mine.map((r) => r.p50)).toFixed(1)} µs)` +
      `  diskcache ${median(peer.map((r) => r.opsPerSec)).toFixed(0)} ops/s (p50 ${median(peer.map((r) => r.p50)).toFixed(1)} µs)` +
      `  paired ratio ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
  );
}
console.log(`${rounds} interleaved rounds of ${n}`);
await storage.close();
rmSync(dir, { recursive: true, force: true });
