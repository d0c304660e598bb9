import { accessSync, chmodSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError } from "./errors.js";

/** Mode of every directory a local backend creates: owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every file a local backend creates: owner only. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and parents) readable by the owner only, or checks an existing one is a
 * writable directory; a clear ConfigError naming `field` otherwise.
 */
export function ensurePrivateDir(dir: string, field = "url"): void {
  try {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (error) {
    throw new ConfigError(field, `cannot create directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {}
  if (!isDir) throw new ConfigError(field, `${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new ConfigError(field, `directory ${dir} is not writable by this process (read-only or wrong owner)`, {
      cause: error,
    });
  }
}

/** ensurePrivateDir for the directory holding `file`. */
export function ensurePrivateParent(file: string, field = "url"): void {
  ensurePrivateDir(dirname(file), field);
}

/** Sets a file we created to owner-only, ignoring a file that vanished meanwhile. */
export function makePrivate(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
