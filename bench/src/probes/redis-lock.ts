import { createStorage } from "@stowage/core";
import { printPairedRounds, type RoundsBySubject } from "./paired-report.js";
import { chosenSubjects, type Probe, type ProbeSettings } from "./probe.js";
import { redisAdapterModules } from "./redis-internals.js";
import { rotated, timeLoops } from "./timing.js";

const TTL = 30_000;
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

interface LockSubject {
  acquire(name: string): Promise<unknown>;
  release(held: unknown): Promise<unknown>;
  close(): Promise<unknown>;
}

async function client(url: string) {
  const { Redis } = await import("ioredis");
  return new Redis(url);
}

const prefix = `probe-lock:${process.pid}:`;

const FACTORIES: Record<string, (settings: ProbeSettings) => Promise<LockSubject>> = {
  ours: async ({ redisUrl }) => {
    const storage = await createStorage({ url: redisUrl, namespace: `probe-lock-${process.pid}` });
    return {
      acquire: (name) => storage.lock.acquire(name, { ttl: TTL, waitMs: 0 }),
      release: (lease) => (lease as { release(): Promise<unknown> }).release(),
      close: () => storage.close(),
    };
  },
  // One primary, as the bench's redlock peer.
  redlock: async ({ redisUrl }) => {
    const redis = await client(redisUrl);
    const { default: Redlock } = await import("redlock");
    const redlock = new Redlock([redis], { retryCount: 0 });
    redlock.on("error", () => {});
    return {
      acquire: (name) => redlock.acquire([`${prefix}redlock:${name}`], TTL),
      release: (lock) => (lock as { release(): Promise<unknown> }).release(),
      close: () => redis.quit(),
    };
  },
  // This adapter's acquire/release Lua (lease + fencing counter, and the waiter queue and its wake-up
  // where the build has them) without core or the driver above it.
  "raw-script": async ({ redisUrl }) => {
    const { lockAcquire, lockRelease, lockReleaseWake } = await redisAdapterModules();
    const redis = await client(redisUrl);
    const queued = lockAcquire.numberOfKeys === 4;
    redis.defineCommand("probeAcquire", { numberOfKeys: lockAcquire.numberOfKeys, lua: lockAcquire.lua });
    const release = lockReleaseWake ?? { numberOfKeys: 1, lua: lockRelease.lua };
    redis.defineCommand("probeRelease", { numberOfKeys: release.numberOfKeys, lua: release.lua });
    const scripted = redis as unknown as {
      probeAcquire(...keysAndArgs: unknown[]): Promise<unknown>;
      probeRelease(...keysAndArgs: unknown[]): Promise<unknown>;
    };
    return {
      acquire: async (name) => {
        const key = `${prefix}script:{${name}}`;
        const token = queued
          ? await scripted.probeAcquire(
              `${key}:lease`,
              `${key}:fence`,
              `${key}:q`,
              `${key}:qd`,
              TTL,
              "probe",
              0,
              "",
              `${prefix}w:`,
              "1",
            )
          : await scripted.probeAcquire(`${key}:lease`, `${key}:fence`, TTL);
        if (token === null) throw new Error("held");
        return { key, token };
      },
      release: (held) => {
        const { key, token } = held as { key: string; token: unknown };
        return lockReleaseWake
          ? scripted.probeRelease(`${key}:lease`, `${key}:q`, `${key}:qd`, token, `${prefix}w:`, "1", "")
          : scripted.probeRelease(`${key}:lease`, token);
      },
      close: () => redis.quit(),
    };
  },
  // SET NX PX and a compare-and-delete script: the floor of any single-server Redis lock.
  raw: async ({ redisUrl }) => {
    const redis = await client(redisUrl);
    let tokens = 0;
    return {
      acquire: async (name) => {
        const key = `${prefix}raw:${name}`;
        const token = `${process.pid}:${++tokens}`;
        if ((await redis.set(key, token, "PX", TTL, "NX")) === null) throw new Error("held");
        return { key, token };
      },
      release: (held) => {
        const { key, token } = held as { key: string; token: string };
        return redis.eval(RELEASE, 1, key, token);
      },
      close: () => redis.quit(),
    };
  },
};

/**
 * Lock acquire and release (each name new, as the seed's rows take them), one at a time or from
 * --c loops: stowage's redis:// beside redlock and raw SET NX PX, interleaved round by round.
 * --alternate times acquire-then-release pairs instead of all acquires then all releases.
 */
export const redisLock: Probe = {
  name: "redis-lock",
  summary: "redis lock acquire/release: stowage ÷ redlock, raw SET NX PX and the adapter's own Lua",
  defaults: { n: 2000, rounds: 9 },
  async run(settings, print) {
    const { n, rounds, concurrency, flags } = settings;
    const names = chosenSubjects(settings.only, ["ours", "redlock", "raw"], Object.keys(FACTORIES));
    const subjects: { name: string; lock: LockSubject }[] = [];
    try {
      for (const name of names) {
        subjects.push({ name, lock: await (FACTORIES[name] as (s: ProbeSettings) => Promise<LockSubject>)(settings) });
      }
      const results: RoundsBySubject = new Map(names.map((name) => [name, { acquire: [], release: [], pair: [] }]));
      for (let round = -1; round < rounds; round++) {
        for (const { name, lock } of rotated(subjects, round)) {
          const byOp = results.get(name) as Record<string, unknown[]>;
          if (flags.alternate) {
            const pair = await timeLoops(n, concurrency, async (i) =>
              lock.release(await lock.acquire(`r${round}:${i}`)),
            );
            if (round >= 0) byOp.pair?.push(pair);
            continue;
          }
          const held: unknown[] = [];
          const acquire = await timeLoops(n, concurrency, async (i) => {
            held[i] = await lock.acquire(`r${round}:${i}`);
          });
          const release = await timeLoops(n, concurrency, (i) => lock.release(held[i]));
          if (round >= 0) {
            byOp.acquire?.push(acquire);
            byOp.release?.push(release);
          }
        }
      }
      printPairedRounds(
        results,
        flags.alternate ? ["pair"] : ["acquire", "release"],
        `n=${n} rounds=${rounds} c=${concurrency}${flags.alternate ? " (acquire+release pairs)" : ""}`,
        print,
      );
    } finally {
      for (const { lock } of subjects) await lock.close();
    }
  },
};
