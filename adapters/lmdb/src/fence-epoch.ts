import { EPOCH_NAME, EPOCH_NAMESPACE, epochFloor } from "@stowage/core";
import type { LmdbDatabases } from "./environment.js";
import { encodeTuple } from "./keys/tuple.js";
import type { WriteWait } from "./write-wait.js";

const EPOCH_KEY = encodeTuple([EPOCH_NAMESPACE, EPOCH_NAME]);

/**
 * Takes the next fencing epoch of the environment and returns its token floor. The bump is flushed
 * whole (data and meta page, whatever the sync mode), so it outlives an OS crash and the lock
 * operations after it need no flush of their own.
 */
export async function openFenceEpoch(dbs: LmdbDatabases, writes: WriteWait): Promise<number> {
  const epoch = await writes.transaction(() => {
    const next = (dbs.fence.get(EPOCH_KEY) ?? 0) + 1;
    dbs.fence.putSync(EPOCH_KEY, next);
    return next;
  });
  // lmdb-js's env sync (mdb_env_sync with force): not in its type declarations.
  const root = dbs.root as unknown as { sync(callback: (error?: Error) => void): void };
  await new Promise<void>((resolve, reject) => root.sync((error) => (error ? reject(error) : resolve())));
  return Number(epochFloor(epoch));
}
