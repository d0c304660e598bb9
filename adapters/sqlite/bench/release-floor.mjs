// Lock release, in one run with interleaved rounds: a raw better-sqlite3 one-row UPDATE with this
// adapter's pragmas (the floor of any release that writes), this adapter's release, and Python
// filelock's release as the seed's diskcache peer runs it (an flock unlock, no write).
//
//   npx tsc -b adapters/sqlite && node adapters/sqlite/bench/release-floor.mjs [--rounds 7] [--n 2000]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createStorage } from "@stowage/core";
import Database from "better-sqlite3";

const { values: args } = parseArgs({
  options: { rounds: { type: "string", default: "7" }, n: { type: "string", default: "2000" } },
});
const rounds = Number(args.rounds);
const n = Number(args.n);
const dir = mkdtempSync(join(tmpdir(), "stowage-release-floor-"));
const python = join(dir, "filelock_release.py");
writeFileSync(
  python,
  `import filelock, json, os, sys, time
d, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = []
for i in range(n):
    lock = filelock.FileLock(os.path.join(d, f"{tag}-lock-{i}.lock"))
    lock.acquire(timeout=10)
    t0 = time.perf_counter_ns(); lock.release(); out.append((time.perf_counter_ns() - t0) / 1000)
print(json.dumps(out))
`,
);

const storage = await createStorage(`sqlite://${join(dir, "stowage.db")}`);
const raw = new Database(join(dir, "raw.db"));
raw.pragma("busy_timeout = 5000");
raw.pragma("journal_mode = WAL");
raw.pragma("synchronous = NORMAL");
raw.exec(`CREATE TABLE lock_names (namespace TEXT NOT NULL, name TEXT NOT NULL, token INTEGER NOT NULL,
          expires_at INTEGER NOT NULL, PRIMARY KEY (namespace, name)) WITHOUT ROWID`);
const take = raw
  .prepare(`INSERT INTO lock_names VALUES ('default', ?, 1, ?)
            ON CONFLICT DO UPDATE SET token = token + 1, expires_at = excluded.expires_at RETURNING token`)
  .pluck();
const free = raw.prepare("UPDATE lock_names SET expires_at = 0 WHERE namespace = 'default' AND name = ? AND token = ?");

const micros = (start) => Number(process.hrtime.bigint() - start) / 1000;
const subjects = {
  "raw better-sqlite3 UPDATE": async (tag) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const token = take.get(`${tag}-${i}`, Date.now() + 30_000);
      const start = process.hrtime.bigint();
      free.run(`${tag}-${i}`, token);
      out.push(micros(start));
    }
    return out;
  },
  "stowage sqlite release": async (tag) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const held = await storage.lock.acquire(`${tag}-${i}`, { ttl: 30_000, waitMs: 0 });
      const start = process.hrtime.bigint();
      await held.release();
      out.push(micros(start));
    }
    return out;
  },
  "python filelock release": async (tag) =>
    JSON.parse(execFileSync("/usr/bin/python3", [python, dir, String(n), tag], { encoding: "utf8" })),
};

const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1];
const p50s = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(subjects)) p50s[name].push(median(await run(`r${round}-${name.length}`)));
}
const names = Object.keys(subjects);
for (const name of names) {
  console.log(
    `${name.padEnd(26)} p50 ${median(p50s[name]).toFixed(1).padStart(5)} µs (median of ${rounds} rounds of ${n}; rounds ${p50s[name].map((v) => v.toFixed(1)).join(" ")})`,
  );
}
const ratio = (a, b) => median(p50s[a].map((v, i) => v / p50s[b][i])).toFixed(2);
console.log(
  `paired p50 ratios: stowage ÷ raw UPDATE ${ratio(names[1], names[0])}, stowage ÷ filelock ${ratio(names[1], names[2])}, raw UPDATE ÷ filelock ${ratio(names[0], names[2])}`,
);
await storage.close();
raw.close();
rmSync(dir, { recursive: true, force: true });
