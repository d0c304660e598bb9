import { EPOCH_NAME, EPOCH_NAMESPACE, epochFloor } from "@stowage/core";
import type { SqliteFile } from "./sqlite-file.js";

const BUMP = `INSERT INTO lock_names (namespace, name, token, expires_at) VALUES (?, ?, 1, 0)
              ON CONFLICT (namespace, name) DO UPDATE SET token = token + 1
              RETURNING token`;

/**
 * Takes the next fencing epoch of the file and returns its token floor. The bump alone commits with
 * synchronous=FULL, so it outlives an OS crash, and the lock operations after it need no flush.
 */
export function openFenceEpoch(file: SqliteFile): bigint {
  return file.use(() => {
    const bump = file.db.prepare(BUMP).safeIntegers(true);
    const epoch = () => epochFloor((bump.get(EPOCH_NAMESPACE, EPOCH_NAME) as { token: bigint }).token);
    if (file.synchronous === "full") return epoch();
    file.db.pragma("synchronous = FULL");
    try {
      return epoch();
    } finally {
      file.db.pragma("synchronous = NORMAL");
    }
  });
}
