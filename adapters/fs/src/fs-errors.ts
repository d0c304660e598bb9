import { BackendUnavailableError, type StowageError } from "@stowage/core";

/** An error from the filesystem (EACCES, ENOSPC, EROFS, EIO, …) as the StowageError callers can rely on: the fs driver edge's classifier. */
export function toStowageError(error: unknown, dir: string): StowageError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new BackendUnavailableError(`file backend ${dir}: ${code ?? "error"}: ${message}`, { cause: error });
}
