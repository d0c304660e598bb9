import { BackendUnavailableError, CorruptDataError, isStowageError, type StowageError } from "@stowage/core";

/** LMDB return codes that mean the file's pages do not hold what LMDB wrote. */
const CORRUPT = ["MDB_CORRUPTED", "MDB_PAGE_NOTFOUND", "MDB_INVALID", "MDB_VERSION_MISMATCH", "MDB_BAD_DBI"];
const DISK_FULL = ["ENOSPC", "No space left", "MDB_MAP_FULL"];

/** Turns what lmdb throws into the StowageError a caller can act on. */
export function toStowageError(error: unknown, where: string): StowageError {
  if (isStowageError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const text = `${String(code ?? "")} ${message}`;
  if (CORRUPT.some((marker) => text.includes(marker))) {
    return new CorruptDataError(`lmdb at ${where} is corrupt: ${message}`, { cause: error });
  }
  if (DISK_FULL.some((marker) => text.includes(marker))) {
    return new BackendUnavailableError(
      `lmdb at ${where}: the disk is full (${message}); free space or move the store to a larger volume`,
      { cause: error },
    );
  }
  return new BackendUnavailableError(`lmdb at ${where} failed: ${message}`, { cause: error });
}

/** Runs `fn`, rethrowing any lmdb failure as a StowageError. */
export async function guard<T>(where: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toStowageError(error, where);
  }
}
