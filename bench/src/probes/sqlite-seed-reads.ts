import { join } from "node:path";
import { createStorage } from "@stowage/core";
import { scratchDir } from "../peers/temp-dir.js";
import { median } from "../stats.js";
import type { Probe } from "./probe.js";
import { pythonScript } from "./python-subject.js";

const DISKCACHE_READS = `import diskcache, json, sys, time
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
`;

type Rows = Record<string, { opsPerSec: number; p50: number }>;
const ROWS = ["cache_get", "checkpoint_load"] as const;

/**
 * The seed's read rows (100-byte cache gets, latest-checkpoint loads of the 1.9 KB payload) on
 * sqlite against Python diskcache, in alternating rounds after one untimed pass on each side
 * (the harness runs the Python peer's repeats in a window of their own, so not paired).
 */
export const sqliteSeedReads: Probe = {
  name: "sqlite-seed-reads",
  summary: "sqlite seed reads (cache get, checkpoint load) ÷ Python diskcache, alternating rounds",
  defaults: { n: 2000, rounds: 9 },
  async run({ n, rounds }, print) {
    const scratch = await scratchDir("sqlite-seed-reads");
    const storage = await createStorage({
      url: `sqlite://${join(scratch.path, "stowage.db")}`,
      namespace: "seed-reads",
    });
    try {
      const diskcache = await pythonScript(scratch.path, "diskcache_reads.py", DISKCACHE_READS, print);
      const diskcacheDir = join(scratch.path, "diskcache");
      if (diskcache) await diskcache(diskcacheDir, `${n}`, "fill");
      const payload = { messages: Array.from({ length: 18 }, () => "m".repeat(100)), step: 1 };
      for (let i = 0; i < n; i++) {
        await storage.cache.set(`cache:${i}`, "v".repeat(100), { ttl: 86_400_000 });
        await storage.checkpoint.put({ threadId: `thread-${i}`, payload, metadata: { source: "bench" } }, { ttl: 6e8 });
      }
      const reads: Record<(typeof ROWS)[number], (i: number) => Promise<unknown>> = {
        cache_get: (i) => storage.cache.get(`cache:${i}`),
        checkpoint_load: (i) => storage.checkpoint.get(`thread-${i}`),
      };
      const ours = async (): Promise<Rows> => {
        const out: Rows = {};
        for (const row of ROWS) {
          const latencies: number[] = [];
          const start = process.hrtime.bigint();
          for (let i = 0; i < n; i++) {
            const t0 = process.hrtime.bigint();
            if ((await reads[row](i)) === undefined) throw new Error(`${row}: nothing at ${i}`);
            latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
          }
          out[row] = { opsPerSec: (n * 1e9) / Number(process.hrtime.bigint() - start), p50: median(latencies) };
        }
        return out;
      };
      const theirs = async (): Promise<Rows | undefined> =>
        diskcache ? JSON.parse(await diskcache(diskcacheDir, `${n}`, "read")) : undefined;
      const runs: { stowage: Rows[]; diskcache: (Rows | undefined)[] } = { stowage: [], diskcache: [] };
      await ours();
      for (let round = 0; round < rounds; round++) {
        // Alternate who goes first, so neither always reads a cooler machine.
        if (round % 2) {
          runs.stowage.push(await ours());
          runs.diskcache.push(await theirs());
        } else {
          runs.diskcache.push(await theirs());
          runs.stowage.push(await ours());
        }
      }
      for (const row of ROWS) {
        const mine = runs.stowage.map((run) => run[row] ?? { opsPerSec: Number.NaN, p50: Number.NaN });
        const peer = runs.diskcache.flatMap((run) => (run?.[row] ? [run[row]] : []));
        let line = `${row.padEnd(16)} stowage ${median(mine.map((r) => r.opsPerSec)).toFixed(0)} ops/s (p50 ${median(mine.map((r) => r.p50)).toFixed(1)} µs)`;
        if (peer.length === mine.length) {
          const ratios = mine.map((run, i) => run.opsPerSec / (peer[i]?.opsPerSec ?? Number.NaN));
          line += `  diskcache ${median(peer.map((r) => r.opsPerSec)).toFixed(0)} ops/s (p50 ${median(peer.map((r) => r.p50)).toFixed(1)} µs)  paired ratio ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
        }
        print(line);
      }
      print(`${rounds} alternating rounds of ${n}`);
    } finally {
      await storage.close();
      await scratch.remove();
    }
  },
};
