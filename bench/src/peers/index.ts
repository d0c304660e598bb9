import type { Subject } from "../subjects/subject.js";
import { bentocachePeer } from "./bentocache.js";
import { cacheablePeer } from "./cacheable.js";
import { keyvRedis, keyvSqlite } from "./keyv.js";
import { properLockfilePeer } from "./proper-lockfile.js";
import { pythonDiskcache, pythonDiskcacheFull } from "./python-diskcache.js";
import { rawIoredis, rawIoredisPipelined } from "./raw-ioredis.js";
import { rawLmdb } from "./raw-lmdb.js";
import { rawSqlite } from "./raw-sqlite.js";
import { redisSemaphorePeer } from "./redis-semaphore.js";
import { redlockPeer } from "./redlock.js";

// Each peer module imports its library only when opened: a peer that cannot load becomes a skipped row.

/** Every peer, in report order: raw drivers (the ceilings) first, then the libraries people use today. */
export const PEERS: readonly Subject[] = [
  rawSqlite,
  rawLmdb,
  rawIoredis,
  rawIoredisPipelined,
  keyvSqlite,
  keyvRedis,
  redlockPeer,
  redisSemaphorePeer,
  properLockfilePeer,
  bentocachePeer,
  cacheablePeer,
  pythonDiskcache,
  pythonDiskcacheFull,
];

/** The peer with this name, or undefined. */
export function peerByName(name: string): Subject | undefined {
  return PEERS.find((peer) => peer.name === name);
}
