// Lock acquire+release on the fs backend against proper-lockfile, in alternating blocks so that
// both see the same machine load: `node adapters/fs/scripts/lock-ratio.mjs [n] [blocks]` after
// `npx tsc -b adapters/fs`. Each block takes n fresh names (the seed's pattern) and then n
// acquire/release cycles of one reused name. proper-lockfile comes from the bench workspace.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createStorage } from "@stowage/core";
import lockfile from "proper-lockfile";

const n = Number(process.argv[2] ?? 1000);
const blocks = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "stowage-lock-ratio-"));
const storage = await createStorage(`${pathToFileURL(join(dir, "fs")).href}?sweepEveryMs=off`);
mkdirSync(join(dir, "pl"));

async function ours(block, fresh) {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const lease = await storage.lock.acquire(fresh ? `seed:${block}:lock:${i}` : "reused", { ttl: 30_000, waitMs: 0 });
    await lease.release();
  }
  return (performance.now() - start) / n;
}

async function properLockfile(block, fresh) {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const file = join(dir, "pl", fresh ? `${block}-${i}` : "reused");
    const release = await lockfile.lock(file, { realpath: false, stale: 10_000, retries: 0 });
    await release();
  }
  return (performance.now() - start) / n;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const fresh of [true, false]) {
  const a = [];
  const b = [];
  for (let block = 0; block < blocks; block++) {
    a.push(await ours(`${fresh}${block}`, fresh));
    b.push(await properLockfile(`${fresh}${block}`, fresh));
  }
  const label = fresh ? "fresh names " : "reused name ";
  console.log(
    `${label}fs ${(median(a) * 1000).toFixed(0)} µs, proper-lockfile ${(median(b) * 1000).toFixed(0)} µs per acquire+release (median of ${blocks} blocks of ${n}): ${(median(b) / median(a)).toFixed(2)}×`,
  );
}
await storage.close();
rmSync(dir, { recursive: true, force: true });
