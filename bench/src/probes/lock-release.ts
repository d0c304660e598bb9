import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { scratchDir } from "../peers/temp-dir.js";
import { median } from "../stats.js";
import { chosenSubjects, type Probe } from "./probe.js";

const run = promisify(execFile);

/**
 * One round in a fresh process, from the checkout at argv[2]: n uncontended acquire+release
 * cycles on fresh names, n on one reused name, and n releases of a name another process waits
 * for (the release that wakes someone), each timed per call; prints the three p50s in µs.
 */
const ROUND = `import { fork } from "node:child_process";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
const [root, url, n, role] = [process.argv[2], process.argv[3], Number(process.argv[4]), process.argv[5]];
const { createStorage } = await import(pathToFileURL(join(root, "packages/core/dist/index.js")).href);
const storage = await createStorage(url);
const p50 = (a) => a.sort((x, y) => x - y)[a.length >> 1];
const us = (t) => Number(process.hrtime.bigint() - t) / 1e3;
if (role === "waiter") {
  // Waits for the name again and again, giving it straight back: the parent's releases each wake it.
  // It goes with its parent, however the parent ends (a killed probe must leave no loop behind).
  process.on("disconnect", () => process.exit(0));
  process.send("ready");
  for (;;) {
    const lease = await storage.lock.acquire("woken", { ttl: 30_000, waitMs: 60_000 });
    await lease.release();
  }
}
const fresh = [], reused = [], waking = [];
// Warm-up, untimed: a cold process spends its first few hundred cycles compiling, which is not what a release costs.
for (let i = 0; i < 2000; i++) {
  const lease = await storage.lock.acquire("warm-" + (i % 50), { ttl: 30_000, waitMs: 0 });
  await lease.release();
}
for (let i = 0; i < n; i++) {
  const t = process.hrtime.bigint();
  const lease = await storage.lock.acquire("fresh-" + i + "-" + process.pid, { ttl: 30_000, waitMs: 0 });
  await lease.release();
  fresh.push(us(t));
}
for (let i = 0; i < n; i++) {
  const t = process.hrtime.bigint();
  const lease = await storage.lock.acquire("reused", { ttl: 30_000, waitMs: 0 });
  await lease.release();
  reused.push(us(t));
}
const waiter = fork(process.argv[1], [root, url, "0", "waiter"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
await new Promise((r) => waiter.once("message", r));
// At most 100: a build whose waiters poll takes a poll interval per release here.
for (let i = 0; i < Math.min(n, 100); i++) {
  const lease = await storage.lock.acquire("woken", { ttl: 30_000, waitMs: 60_000 });
  // Let the waiter take its place behind this holder before the timed release.
  await new Promise((r) => setTimeout(r, 2));
  const t = process.hrtime.bigint();
  await lease.release();
  waking.push(us(t));
}
waiter.kill("SIGKILL");
console.log(JSON.stringify({ fresh: p50(fresh), reused: p50(reused), waking: p50(waking) }));
await storage.close();
process.exit(0);
`;

/** The checkout this bench runs from. */
const HERE = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/**
 * What the lock's wake-up costs: acquire+release cycles with nobody waiting (fresh names, one
 * reused name) and the release that wakes a waiting process, on each local backend, from this
 * checkout and, with --dir <another checkout, built>, from that one too — rounds alternate
 * between the two, each in its own process, so the ratio is paired.
 */
export const lockRelease: Probe = {
  name: "lock-release",
  summary: "lock cycle and waking release, µs p50, per local backend; --dir <checkout> pairs against another build",
  defaults: { n: 500, rounds: 5 },
  async run({ n, rounds, only, flags }, print) {
    const backends = chosenSubjects(only, ["sqlite", "lmdb", "file"], ["sqlite", "lmdb", "file"]);
    const trees = { this: HERE, ...(flags.dir ? { baseline: resolve(flags.dir) } : {}) };
    const scratch = await scratchDir("lock-release");
    try {
      const script = join(scratch.path, "round.mjs");
      await writeFile(script, ROUND);
      const results: Record<string, { fresh: number[]; reused: number[]; waking: number[] }> = {};
      for (let round = 0; round < rounds; round++) {
        for (const backend of backends) {
          for (const [tree, root] of Object.entries(trees)) {
            const where = join(scratch.path, `${tree}-${backend}-${round}`);
            const url = backend === "sqlite" ? `sqlite://${where}.db` : `${backend}://${where}`;
            const { stdout } = await run(process.execPath, [script, root, url, String(n), "main"], {
              maxBuffer: 1 << 20,
            });
            const p50s = JSON.parse(stdout.trim().split("\n").at(-1) as string);
            const label = `${backend} ${tree}`;
            results[label] ??= { fresh: [], reused: [], waking: [] };
            const into = results[label];
            into.fresh.push(p50s.fresh);
            into.reused.push(p50s.reused);
            into.waking.push(p50s.waking);
          }
        }
      }
      const fmt = (values: number[]) => median(values).toFixed(1).padStart(7);
      print(
        `rounds ${rounds} × n ${n}; µs p50 (median round): cycle on fresh names, cycle on one name, release that wakes a waiter`,
      );
      for (const backend of backends) {
        for (const tree of Object.keys(trees)) {
          const r = results[`${backend} ${tree}`];
          if (r)
            print(
              `${`${backend} ${tree}`.padEnd(18)} fresh ${fmt(r.fresh)}  reused ${fmt(r.reused)}  waking ${fmt(r.waking)}`,
            );
        }
        const now = results[`${backend} this`];
        const before = results[`${backend} baseline`];
        if (now && before) {
          const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
          print(
            `${`${backend} this ÷ baseline`.padEnd(18)} fresh ${ratio(now.fresh, before.fresh).padStart(7)}  reused ${ratio(now.reused, before.reused).padStart(7)}  waking ${ratio(now.waking, before.waking).padStart(7)}`,
          );
        }
      }
      print(
        `trees: ${Object.entries(trees)
          .map(([tree, root]) => `${tree} = ${pathToFileURL(root).pathname}`)
          .join(", ")}`,
      );
    } finally {
      await scratch.remove();
    }
  },
};
