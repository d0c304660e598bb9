import { join } from "node:path";
import { BackendUnavailableError, monotonicNow, sleep, wallNow } from "@stowage/core";
import { holderIsGone, LeaseLog } from "./lease-log.js";
import { toRelativePath } from "./path-codec.js";

/**
 * Lease of a read-modify-write; the work under it is a few synchronous file operations. A holder
 * on this machine whose process is gone (SIGKILL) frees the key at once; one whose liveness this
 * process cannot see (another host, an entry from an older version) after LEASE_MS.
 */
const LEASE_MS = 10_000;
/** A writer that found the key busy this long gives up: the holder is stuck or the disk is. */
const GIVE_UP_MS = 30_000;

/**
 * Serialises read-modify-writes of one cache key across processes (incr, add over an expired
 * entry, json.set) with the same lease log as the locks, so a crashed writer blocks the key
 * for one poll when it ran on this machine, for at most LEASE_MS otherwise. A live holder is
 * never taken over before LEASE_MS, and its release is a compare-and-swap, so it always releases.
 */
export class KeyMutex {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Runs `fn` (synchronous) while holding the key's lease. */
  async run<T>(shard: string, key: string, fn: () => T): Promise<T> {
    const log = new LeaseLog(join(this.#dir, shard, toRelativePath(key, ".m")), join(this.#dir, "released"));
    const begin = monotonicNow();
    for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
      const state = log.read();
      const now = wallNow();
      const token = BigInt(state.seq + 1);
      const free = state.expiresAt <= now || holderIsGone(state.holder);
      if (free && log.write(state, token, now + LEASE_MS)) {
        const held = { seq: state.seq + 1, token, expiresAt: now + LEASE_MS, seen: [state.seq + 1], waiters: [] };
        try {
          return fn();
        } finally {
          // A compare-and-swap on our own entry: it fails harmlessly when another writer took over.
          log.write(held, held.token, 0);
        }
      }
      if (monotonicNow() - begin > GIVE_UP_MS) {
        throw new BackendUnavailableError(`cache key "${key}" stayed locked by another writer for ${GIVE_UP_MS} ms`);
      }
      await sleep(Math.max(1, Math.round(pause * (0.5 + Math.random()))));
    }
  }
}
