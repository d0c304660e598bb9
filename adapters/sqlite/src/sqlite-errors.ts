import { BackendUnavailableError, CorruptDataError, isStowageError, type StowageError } from "@stowage/core";
import Database from "better-sqlite3";

/** Codes that mean the file is not (or no longer) a readable SQLite database. */
const CORRUPT_CODES = new Set(["SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CORRUPT_INDEX", "SQLITE_CORRUPT_SEQUENCE"]);

/** Turns an SQLite failure into the StowageError a caller can act on; other StowageErrors pass through. */
export function translateSqliteError(error: unknown, path: string): unknown {
  if (isStowageError(error)) return error;
  if (error instanceof Database.SqliteError) {
    // JSON functions run only on JSON this package stored (a checkpoint's channels): malformed means damaged.
    const damagedJson = error.code === "SQLITE_ERROR" && error.message.startsWith("malformed JSON");
    if (CORRUPT_CODES.has(error.code) || error.code.startsWith("SQLITE_CORRUPT") || damagedJson) {
      return new CorruptDataError(`${path} is corrupt or not an SQLite database: ${error.message}`, { cause: error });
    }
    // BUSY past the busy timeout, FULL, IOERR, READONLY, CANTOPEN: the store cannot serve right now.
    return new BackendUnavailableError(`sqlite ${path}: ${error.message} (${error.code})`, { cause: error });
  }
  return error;
}

/** The driver edge's classifier: an SQLite failure as translated above, anything else from the driver as unavailable. */
export function classifySqliteError(error: unknown, path: string, method: string): StowageError {
  const translated = translateSqliteError(error, path);
  if (isStowageError(translated)) return translated;
  const message = error instanceof Error ? error.message : String(error);
  return new BackendUnavailableError(`sqlite ${path} ${method}: ${message}`, { cause: error });
}
