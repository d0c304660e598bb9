import { isStowageError } from "@stowage/core";

/** Exit codes of every stowage command (documented in the README and `stowage --help`). */
export const EXIT = {
  ok: 0,
  /** A check failed, a verification did not match, or a store is unhealthy. */
  failed: 1,
  /** Bad arguments, URL or configuration. */
  usage: 2,
  /** A backend could not be reached (down, wrong host or port, refused). */
  unavailable: 3,
  /** Stored data is corrupt or not stowage's. */
  corrupt: 4,
  /** Stopped by SIGINT/SIGTERM at a clean point (128 + SIGINT, as shells report it); re-run to resume. */
  interrupted: 130,
  /** Anything else: a bug; run with STOWAGE_DEBUG=1 for the stack. */
  internal: 70,
} as const;

/** The exit code an error maps to. */
export function exitCodeFor(error: unknown): number {
  if (isStowageError(error)) {
    switch (error.code) {
      case "ERR_CONFIG":
      case "ERR_INVALID_ARGUMENT":
      case "ERR_INVALID_KEY":
        return EXIT.usage;
      case "ERR_BACKEND_UNAVAILABLE":
        return EXIT.unavailable;
      case "ERR_CORRUPT_DATA":
        return EXIT.corrupt;
      default:
        return EXIT.failed;
    }
  }
  const code = (error as { code?: string })?.code ?? "";
  if (code.startsWith("commander.")) return EXIT.usage;
  if (["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH"].includes(code)) return EXIT.unavailable;
  return EXIT.internal;
}

/** One line naming the problem: never a stack trace (unless STOWAGE_DEBUG is set). */
export function describeError(error: unknown): string {
  if (process.env.STOWAGE_DEBUG) return (error as Error)?.stack ?? String(error);
  const message = (error as Error)?.message ?? String(error);
  const code = isStowageError(error) ? ` (${error.code})` : "";
  return `stowage: ${message.split("\n")[0]}${code}`;
}
