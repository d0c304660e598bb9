import { join } from "node:path";
import { ensurePrivateDir, makePrivate } from "@stowage/core";
import { type Database, open, type RootDatabase } from "lmdb";
import { toStowageError } from "./errors.js";
import { checkDataFile } from "./header-check.js";
import { createDataFile } from "./new-environment.js";
import type { LmdbOptions, SyncMode } from "./options.js";
import { trackReadTxn } from "./read-txn.js";

/** Binary-keyed sub-databases of one environment, one per kind of record (see README "Layout"). */
export interface LmdbDatabases {
  root: RootDatabase;
  /** (namespace, key) → expiry header + encoded value. */
  cache: Database<Buffer, Buffer>;
  /** (namespace, key) → LRU sequence of its last use; only with a size limit. */
  cacheUse: Database<number, Buffer>;
  /** (namespace, sequence, key) → empty: the LRU order, oldest first. */
  cacheLru: Database<true, Buffer>;
  /** ("size", namespace) → bytes; ("seq") → last LRU sequence. */
  cacheMeta: Database<number, Buffer>;
  /** (namespace, name) → the current lease. */
  lease: Database<{ token: number; expiresAt: number }, Buffer>;
  /** (namespace, name) → the last fencing token given; never deleted. */
  fence: Database<number, Buffer>;
  /** (namespace, thread, ns, id) → checkpoint. */
  checkpoint: Database<unknown, Buffer>;
  /** (namespace, thread, id, ns) → true: a thread's checkpoints across ns, by id. */
  checkpointByThread: Database<true, Buffer>;
  /** (namespace, id, thread, ns) → true: every checkpoint of the namespace, by id. */
  checkpointById: Database<true, Buffer>;
  /** (namespace, thread, ns, channel, version) → blob. */
  blob: Database<unknown, Buffer>;
  /** (namespace, thread, ns, checkpointId) → that checkpoint's pending writes. */
  write: Database<unknown, Buffer>;
}

/** What each sync mode asks of lmdb; the README's "Durability" section says what a write then survives. */
function syncFlags(mode: SyncMode): { overlappingSync: boolean; noSync: boolean; noMetaSync: boolean } {
  switch (mode) {
    // Data pages are flushed at each commit, its meta page with the next commit's flush: an OS crash
    // may undo the last commit, never damage the file, and there is no shared sync mutex to recover.
    case "process":
      return { overlappingSync: false, noSync: false, noMetaSync: true };
    case "full":
      return { overlappingSync: false, noSync: false, noMetaSync: false };
    case "overlapping":
      return { overlappingSync: true, noSync: false, noMetaSync: false };
    case "off":
      return { overlappingSync: false, noSync: true, noMetaSync: false };
  }
}

/** 8 KiB pages lift lmdb's key limit to 4026 bytes: a checkpoint key holds three 1 KiB strings. */
const PAGE_SIZE = 8192;

/** The named databases openEnvironment opens: all that a stowage environment's main database holds. */
const DATABASE_NAMES = [
  "cache",
  "cache-use",
  "cache-lru",
  "cache-meta",
  "lease",
  "fence",
  "checkpoint",
  "checkpoint-by-thread",
  "checkpoint-by-id",
  "blob",
  "write",
] as const;

/** Opens (or creates) the environment in `dir`: owner-only files, header checked first. */
export function openEnvironment(dir: string, options: LmdbOptions): LmdbDatabases {
  ensurePrivateDir(dir);
  const dataFile = join(dir, "data.mdb");
  createDataFile(dir, PAGE_SIZE);
  checkDataFile(dataFile, DATABASE_NAMES);
  let root: RootDatabase;
  try {
    root = open({
      path: dir,
      noSubdir: false,
      pageSize: PAGE_SIZE,
      maxDbs: 16,
      keyEncoding: "binary",
      // Without it lmdb runs every queued put before any queued transaction callback, so
      // delete(k) then set(k) issued together would end with k deleted.
      strictAsyncOrder: true,
      ...syncFlags(options.sync),
      ...(options.mapSize !== undefined ? { mapSize: options.mapSize } : {}),
    });
  } catch (error) {
    throw toStowageError(error, dir);
  }
  for (const file of ["data.mdb", "lock.mdb"]) makePrivate(join(dir, file));
  try {
    type Name = (typeof DATABASE_NAMES)[number];
    const binary = (name: Name) => root.openDB<Buffer, Buffer>({ name, keyEncoding: "binary", encoding: "binary" });
    const packed = <V>(name: Name) => root.openDB<V, Buffer>({ name, keyEncoding: "binary" });
    const dbs: LmdbDatabases = {
      root,
      cache: binary("cache"),
      cacheUse: packed("cache-use"),
      cacheLru: packed("cache-lru"),
      cacheMeta: packed("cache-meta"),
      lease: packed("lease"),
      fence: packed("fence"),
      checkpoint: packed("checkpoint"),
      checkpointByThread: packed("checkpoint-by-thread"),
      checkpointById: packed("checkpoint-by-id"),
      blob: packed("blob"),
      write: packed("write"),
    };
    trackReadTxn(dir, root);
    return dbs;
  } catch (error) {
    void root.close();
    throw toStowageError(error, dir);
  }
}
