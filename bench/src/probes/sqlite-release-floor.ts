import { join } from "node:path";
import { createStorage } from "@stowage/core";
import { scratchDir } from "../peers/temp-dir.js";
import { median } from "../stats.js";
import type { Probe } from "./probe.js";
import { pythonScript } from "./python-subject.js";
import { microsSince } from "./timing.js";

const FILELOCK_RELEASE = `import filelock, json, os, sys, time
d, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = []
for i in range(n):
    lock = filelock.FileLock(os.path.join(d, f"{tag}-lock-{i}.lock"))
    lock.acquire(timeout=10)
    t0 = time.perf_counter_ns(); lock.release(); out.append((time.perf_counter_ns() - t0) / 1000)
print(json.dumps(out))
`;

/**
 * Lock release, interleaved round by round: a raw better-sqlite3 one-row UPDATE with the adapter's
 * pragmas (the floor of any release that writes), the sqlite adapter's release, and Python
 * filelock's (an flock unlock, no write) as the seed's diskcache peer runs it.
 */
export const sqliteReleaseFloor: Probe = {
  name: "sqlite-release-floor",
  summary: "sqlite lock release p50 beside a raw one-row UPDATE and Python filelock's release",
  defaults: { n: 2000, rounds: 7 },
  async run({ n, rounds }, print) {
    const { default: Database } = await import("better-sqlite3");
    const scratch = await scratchDir("sqlite-release-floor");
    const storage = await createStorage(`sqlite://${join(scratch.path, "stowage.db")}`);
    const raw = new Database(join(scratch.path, "raw.db"));
    try {
      raw.pragma("busy_timeout = 5000");
      raw.pragma("journal_mode = WAL");
      raw.pragma("synchronous = NORMAL");
      raw.exec(`CREATE TABLE lock_names (namespace TEXT NOT NULL, name TEXT NOT NULL, token INTEGER NOT NULL,
                expires_at INTEGER NOT NULL, PRIMARY KEY (namespace, name)) WITHOUT ROWID`);
      const take = raw
        .prepare(`INSERT INTO lock_names VALUES ('default', ?, 1, ?)
                  ON CONFLICT DO UPDATE SET token = token + 1, expires_at = excluded.expires_at RETURNING token`)
        .pluck();
      const free = raw.prepare(
        "UPDATE lock_names SET expires_at = 0 WHERE namespace = 'default' AND name = ? AND token = ?",
      );
      const filelock = await pythonScript(scratch.path, "filelock_release.py", FILELOCK_RELEASE, print);
      const subjects: Record<string, (tag: string) => Promise<number[]>> = {
        "raw better-sqlite3 UPDATE": async (tag) => {
          const out: number[] = [];
          for (let i = 0; i < n; i++) {
            const token = take.get(`${tag}-${i}`, Date.now() + 30_000);
            const start = process.hrtime.bigint();
            free.run(`${tag}-${i}`, token);
            out.push(microsSince(start));
          }
          return out;
        },
        "stowage sqlite release": async (tag) => {
          const out: number[] = [];
          for (let i = 0; i < n; i++) {
            const held = await storage.lock.acquire(`${tag}-${i}`, { ttl: 30_000, waitMs: 0 });
            const start = process.hrtime.bigint();
            await held.release();
            out.push(microsSince(start));
          }
          return out;
        },
        ...(filelock
          ? { "python filelock release": async (tag: string) => JSON.parse(await filelock(scratch.path, `${n}`, tag)) }
          : {}),
      };
      const p50s = Object.fromEntries(Object.keys(subjects).map((name) => [name, [] as number[]]));
      for (let round = 0; round < rounds; round++) {
        for (const [name, release] of Object.entries(subjects)) {
          p50s[name]?.push(median(await release(`r${round}-${name.length}`)));
        }
      }
      for (const [name, rounds] of Object.entries(p50s)) {
        print(
          `${name.padEnd(26)} p50 ${median(rounds).toFixed(1).padStart(5)} µs (median round; rounds ${rounds.map((v) => v.toFixed(1)).join(" ")})`,
        );
      }
      const ratio = (a: string, b: string) => {
        const theirs = p50s[b];
        return theirs ? median((p50s[a] ?? []).map((v, i) => v / (theirs[i] as number))).toFixed(2) : "n/a";
      };
      print(
        `paired p50 ratios: stowage ÷ raw UPDATE ${ratio("stowage sqlite release", "raw better-sqlite3 UPDATE")}, stowage ÷ filelock ${ratio("stowage sqlite release", "python filelock release")}`,
      );
    } finally {
      await storage.close();
      raw.close();
      await scratch.remove();
    }
  },
};
