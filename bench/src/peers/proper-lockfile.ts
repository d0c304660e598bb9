import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OpenSubject, Subject } from "../subjects/subject.js";

// proper-lockfile refuses a stale time under 5 s; leases here are shorter-lived than that anyway.
const STALE_MS = 10_000;

/** The lock directory: shared by the worker processes of one contention run through the environment. */
function lockDir(): string {
  return process.env.STOWAGE_BENCH_LOCK_DIR ?? join(tmpdir(), `stowage-bench-lockfile-${process.pid}`);
}

async function openProperLockfile(): Promise<OpenSubject> {
  const dir = lockDir();
  const owned = process.env.STOWAGE_BENCH_LOCK_DIR === undefined;
  const { default: lockfile } = await import("proper-lockfile");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return {
    lock: {
      acquire: async (name, _ttlMs, waitMs) => {
        const release = await lockfile.lock(join(dir, encodeURIComponent(name)), {
          realpath: false,
          stale: STALE_MS,
          // retry precomputes every delay, so the count stays near what waitMs can use rather than "forever".
          retries:
            waitMs > 0 ? { retries: Math.ceil(waitMs / 5), minTimeout: 5, maxTimeout: 20, maxRetryTime: waitMs } : 0,
        });
        return { release };
      },
    },
    async close() {
      if (owned) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** proper-lockfile: mkdir-based locks on a local directory. */
export const properLockfilePeer: Subject = {
  name: "proper-lockfile",
  kind: "peer",
  capabilities: ["lock"],
  open: openProperLockfile,
  worker: { kind: "peer", name: "proper-lockfile" },
};
