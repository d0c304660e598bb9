import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createStorage } from "@stowage/core";
import { scratchDir } from "../peers/temp-dir.js";
import { median } from "../stats.js";
import type { Probe } from "./probe.js";

/**
 * Acquire + release of one reused lock name on the fs backend against proper-lockfile, in
 * alternating rounds (fresh names are the seed scenario's lock rows with --peers proper-lockfile).
 */
export const fsLockReused: Probe = {
  name: "fs-lock-reused",
  summary: "fs backend: acquire+release of one reused name ÷ proper-lockfile, alternating rounds",
  defaults: { n: 1000, rounds: 5 },
  async run({ n, rounds }, print) {
    const { default: lockfile } = await import("proper-lockfile");
    const scratch = await scratchDir("fs-lock-reused");
    const storage = await createStorage(`${pathToFileURL(join(scratch.path, "fs")).href}?sweepEveryMs=off`);
    await mkdir(join(scratch.path, "pl"));
    const ours: number[] = [];
    const theirs: number[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        let start = performance.now();
        for (let i = 0; i < n; i++) {
          const lease = await storage.lock.acquire("reused", { ttl: 30_000, waitMs: 0 });
          await lease.release();
        }
        ours.push(((performance.now() - start) * 1000) / n);
        start = performance.now();
        for (let i = 0; i < n; i++) {
          const release = await lockfile.lock(join(scratch.path, "pl", "reused"), {
            realpath: false,
            stale: 10_000,
            retries: 0,
          });
          await release();
        }
        theirs.push(((performance.now() - start) * 1000) / n);
      }
    } finally {
      await storage.close();
      await scratch.remove();
    }
    const ratios = ours.map((mine, i) => (theirs[i] as number) / mine);
    print(
      `reused name: fs ${median(ours).toFixed(0)} µs, proper-lockfile ${median(theirs).toFixed(0)} µs per acquire+release (median of ${rounds} rounds of ${n}); proper-lockfile ÷ fs ${median(ratios).toFixed(2)}`,
    );
  },
};
