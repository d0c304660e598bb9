import { driverEdge } from "./driver-edge.js";
import { fsLockReused } from "./fs-lock-reused.js";
import { fsOpCost } from "./fs-op-cost.js";
import { fsSyscalls } from "./fs-syscalls.js";
import { hybrid } from "./hybrid.js";
import { langgraphSqlite } from "./langgraph-sqlite.js";
import { lockRelease } from "./lock-release.js";
import type { Probe } from "./probe.js";
import { redisConcurrency } from "./redis-concurrency.js";
import { redisLock } from "./redis-lock.js";
import { sqliteReleaseFloor } from "./sqlite-release-floor.js";
import { sqliteSeedReads } from "./sqlite-seed-reads.js";

export type { Probe, ProbeSettings } from "./probe.js";

/** Every probe, by backend. */
export const PROBES: readonly Probe[] = [
  fsOpCost,
  fsSyscalls,
  fsLockReused,
  redisConcurrency,
  redisLock,
  sqliteReleaseFloor,
  sqliteSeedReads,
  lockRelease,
  driverEdge,
  hybrid,
  langgraphSqlite,
];
