// Per-operation wall and CPU time of the seed's operations on the fs backend, beside the raw
// syscalls that bound them: `node adapters/fs/scripts/op-cost.mjs [n] [repeats] [dir]` after
// `npx tsc -b adapters/fs`. CPU (user+sys of this process, process.cpuUsage) is steadier than
// wall time on a shared machine. Each repeat uses fresh keys/names/threads, as the seed does.
// STOWAGE_MARK=1 puts an access("/__mark__/<op>") before each block, so that a trace
// (`strace -f -o t node … 20 1`, then scripts/syscalls-per-op.sh t 20) can be cut per operation.
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createStorage } from "@stowage/core";

const n = Number(process.argv[2] ?? 2000);
const repeats = Number(process.argv[3] ?? 5);
const dir = process.argv[4] ?? mkdtempSync(join(tmpdir(), "stowage-op-cost-"));
const mark = process.env.STOWAGE_MARK === "1";
const storage = await createStorage({
  url: `${pathToFileURL(join(dir, "fs")).href}?sweepEveryMs=off`,
  namespace: "opcost",
});
const raw = join(dir, "raw");
mkdirSync(raw, { recursive: true });

const text = "v".repeat(100);
const doc = Object.fromEntries(
  Array.from({ length: 20 }, (_, i) => [`field_${String(i).padStart(2, "0")}`, `value-${i}-xxxxxxxx`]),
);
const payload = { messages: Array.from({ length: 18 }, () => "m".repeat(100)), step: 1 };
const bytes = Buffer.alloc(120, 1);
const held = new Map();

const ops = {
  cache_set: (r, i) => storage.cache.set(`seed:${r}:cache:${i}`, text, { ttl: 86_400_000 }),
  cache_get: (r, i) => storage.cache.get(`seed:${r}:cache:${i}`),
  json_set: (r, i) => storage.cache.set(`seed:${r}:json:${i}`, doc, { ttl: 86_400_000 }),
  json_get: (r, i) => storage.cache.get(`seed:${r}:json:${i}`),
  lock_acquire: async (r, i) =>
    held.set(i, await storage.lock.acquire(`seed:${r}:lock:${i}`, { ttl: 30_000, waitMs: 0 })),
  lock_release: (_r, i) => held.get(i).release(),
  checkpoint_save: (r, i) =>
    storage.checkpoint.put({ threadId: `seed-${r}-thread-${i}`, payload, metadata: { source: "bench" } }),
  checkpoint_load: (r, i) => storage.checkpoint.get(`seed-${r}-thread-${i}`),
  // Floors: one raw syscall sequence each, on 120-byte files.
  raw_create_write: (r, i) => {
    const fd = openSync(join(raw, `${r}.${i}`), "wx", 0o600);
    writeSync(fd, bytes);
    closeSync(fd);
  },
  raw_read: (r, i) => {
    const fd = openSync(join(raw, `${r}.${i}`), "r");
    readSync(fd, Buffer.allocUnsafe(4096), 0, 4096, 0);
    closeSync(fd);
  },
  raw_symlink: (r, i) => symlinkSync("1:2:3", join(raw, `${r}.${i}.s`)),
  raw_link: (r, i) => linkSync(join(raw, `${r}.${i}`), join(raw, `${r}.${i}.l`)),
  raw_rename: (r, i) => renameSync(join(raw, `${r}.${i}.l`), join(raw, `${r}.${i}.m`)),
  raw_unlink: (r, i) => unlinkSync(join(raw, `${r}.${i}.m`)),
};

const results = Object.fromEntries(Object.keys(ops).map((name) => [name, { wall: [], cpu: [] }]));
for (let r = 0; r < repeats; r++) {
  for (const [name, op] of Object.entries(ops)) {
    if (mark) existsSync(`/__mark__/${name}`);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await op(r, i);
    const wall = Number(process.hrtime.bigint() - t0) / 1000 / n;
    const cpu = process.cpuUsage(cpu0);
    results[name].wall.push(wall);
    results[name].cpu.push((cpu.user + cpu.system) / n);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`n=${n} repeats=${repeats} (median) µs per op`);
for (const [name, { wall, cpu }] of Object.entries(results)) {
  if (wall.length === 0) continue;
  console.log(
    `${name.padEnd(16)} wall ${median(wall).toFixed(1).padStart(7)}  cpu ${median(cpu).toFixed(1).padStart(7)}`,
  );
}
await storage.close();
if (!process.argv[4]) rmSync(dir, { recursive: true, force: true });
