import { BackendUnavailableError, CorruptDataError, isStowageError, type StowageError } from "@stowage/core";
import { resetReadTxn } from "./read-txn.js";

/**
 * LMDB return codes (and its last_error texts) that mean the file's pages do not hold what LMDB
 * wrote. MDB_PROBLEM and "… no parent": a page that claims to be dirty in this transaction (its
 * transaction id damaged upwards) while nothing in this transaction made it.
 */
const CORRUPT = [
  "MDB_CORRUPTED",
  "MDB_PAGE_NOTFOUND",
  "MDB_INVALID",
  "MDB_VERSION_MISMATCH",
  "MDB_BAD_DBI",
  "MDB_PROBLEM",
  "touch no parent",
  "unspill no parent",
];
const DISK_FULL = ["ENOSPC", "No space left", "MDB_MAP_FULL"];
/** What msgpackr (which lmdb-js decodes stored values with) throws on bytes that are not the value written. */
const UNDECODABLE = [
  "Unexpected end of MessagePack data",
  "Data read, but end of buffer not reached",
  "Unexpected end of buffer",
  "Unknown extension",
  "Unknown MessagePack token",
  "Record id is not defined",
  "Expected string",
  "Invalid property type for record",
  "Could not find typed array",
];

/** lmdb-js rejects a failed commit with an error whose `commitError` is a promise of the real cause. */
function commitCause(error: unknown): Promise<unknown> | undefined {
  const cause = (error as { commitError?: unknown } | null)?.commitError;
  return cause instanceof Promise ? cause : undefined;
}

/** Turns what lmdb throws into the StowageError a caller can act on. */
export function toStowageError(error: unknown, where: string): StowageError {
  if (isStowageError(error)) return error;
  // Handled here so that a failed commit does not also surface as an unhandled rejection.
  commitCause(error)?.catch(() => {});
  resetReadTxn(where);
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const text = `${String(code ?? "")} ${message}`;
  if (CORRUPT.some((marker) => text.includes(marker))) {
    return new CorruptDataError(`lmdb at ${where} is corrupt: ${message}`, { cause: error });
  }
  if (UNDECODABLE.some((marker) => message.startsWith(marker))) {
    return new CorruptDataError(`lmdb at ${where} holds a record that does not decode: ${message}`, { cause: error });
  }
  if (DISK_FULL.some((marker) => text.includes(marker))) {
    return new BackendUnavailableError(
      `lmdb at ${where}: the disk is full (${message}); free space or move the store to a larger volume`,
      { cause: error },
    );
  }
  return new BackendUnavailableError(`lmdb at ${where} failed: ${message}`, { cause: error });
}

/** toStowageError for a rejected write: a failed commit is explained by its real cause (I/O error, disk full). */
export async function toStowageWriteError(error: unknown, where: string): Promise<StowageError> {
  const pending = commitCause(error);
  if (!pending) return toStowageError(error, where);
  const cause = await pending.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  const code = (cause as { code?: unknown } | undefined)?.code;
  // lmdb reports a write the file system refused as EIO (5) or ENOSPC (28).
  const text = cause instanceof Error ? cause.message : String(cause);
  return new BackendUnavailableError(
    `lmdb at ${where}: the write was not committed (${text}${code === 5 || code === 28 ? "; is the disk full?" : ""})`,
    { cause: cause ?? error },
  );
}
