import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createStorage, type Lease } from "@stowage/core";
import { scratchDir } from "../peers/temp-dir.js";
import { median } from "../stats.js";
import type { Probe } from "./probe.js";

/**
 * Wall and CPU µs per seed operation on the fs backend beside the raw syscall sequences that
 * bound them; each round uses fresh keys, names and threads, as the seed does. With --mark an
 * access("/__mark__/<op>") precedes each block so an strace can be cut per operation (fs-syscalls).
 * The `_again` rows read the same keys and threads a second time, 100 ms later: what the file
 * backend's read cache serves (a stat per file instead of open+read+close).
 */
export const fsOpCost: Probe = {
  name: "fs-op-cost",
  summary: "fs backend: wall and CPU µs per seed operation beside raw open/write/link/rename floors",
  defaults: { n: 2000, rounds: 5 },
  async run({ n, rounds, flags }, print) {
    const scratch = flags.dir === undefined ? await scratchDir("fs-op-cost") : undefined;
    const dir = flags.dir ?? (scratch?.path as string);
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
    const held = new Map<number, Lease>();
    const ops: Record<string, (r: number, i: number) => unknown> = {
      cache_set: (r, i) => storage.cache.set(`seed:${r}:cache:${i}`, text, { ttl: 86_400_000 }),
      cache_get: (r, i) => storage.cache.get(`seed:${r}:cache:${i}`),
      json_set: (r, i) => storage.cache.set(`seed:${r}:json:${i}`, doc, { ttl: 86_400_000 }),
      json_get: (r, i) => storage.cache.get(`seed:${r}:json:${i}`),
      lock_acquire: async (r, i) =>
        held.set(i, await storage.lock.acquire(`seed:${r}:lock:${i}`, { ttl: 30_000, waitMs: 0 })),
      lock_release: (_r, i) => held.get(i)?.release(),
      checkpoint_save: (r, i) =>
        storage.checkpoint.put({ threadId: `seed-${r}-thread-${i}`, payload, metadata: { source: "bench" } }),
      checkpoint_load: (r, i) => storage.checkpoint.get(`seed-${r}-thread-${i}`),
      // The same reads again once their files are older than the read cache's racy margin: hits.
      cache_get_again: (r, i) => storage.cache.get(`seed:${r}:cache:${i}`),
      json_get_again: (r, i) => storage.cache.get(`seed:${r}:json:${i}`),
      checkpoint_load_again: (r, i) => storage.checkpoint.get(`seed-${r}-thread-${i}`),
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
    const results = Object.fromEntries(
      Object.keys(ops).map((name) => [name, { wall: [] as number[], cpu: [] as number[] }]),
    );
    try {
      for (let r = 0; r < rounds; r++) {
        for (const [name, op] of Object.entries(ops)) {
          if (name.endsWith("_again")) await new Promise((resolve) => setTimeout(resolve, 100));
          if (flags.mark) existsSync(`/__mark__/${name}`);
          const cpu0 = process.cpuUsage();
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < n; i++) await op(r, i);
          const cpu = process.cpuUsage(cpu0);
          results[name]?.wall.push(Number(process.hrtime.bigint() - t0) / 1000 / n);
          results[name]?.cpu.push((cpu.user + cpu.system) / n);
        }
      }
    } finally {
      await storage.close();
      await scratch?.remove();
    }
    print(`n=${n} rounds=${rounds}: µs per operation, median round`);
    for (const [name, { wall, cpu }] of Object.entries(results)) {
      print(
        `${name.padEnd(16)} wall ${median(wall).toFixed(1).padStart(7)}  cpu ${median(cpu).toFixed(1).padStart(7)}`,
      );
    }
  },
};
