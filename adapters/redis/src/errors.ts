import { BackendUnavailableError, CorruptDataError, isStowageError, type StowageError } from "@stowage/core";

/** Server replies that mean "not now" (loading, failover, resharding), not "wrong data". */
const UNAVAILABLE_REPLIES =
  /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MOVED|ASK|NOAUTH|WRONGPASS|NOPERM)\b/;

/** Turns whatever ioredis throws into a StowageError: connection trouble is ERR_BACKEND_UNAVAILABLE. */
export function toStowageError(error: unknown, what: string): StowageError {
  if (isStowageError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const isReply = error instanceof Error && error.name === "ReplyError";
  if (isReply && !UNAVAILABLE_REPLIES.test(message)) {
    if (message.startsWith("WRONGTYPE"))
      return new CorruptDataError(`${what}: a key of this namespace holds another kind of Redis value (${message})`, {
        cause: error,
      });
    return new CorruptDataError(`${what}: Redis refused the command: ${message}`, { cause: error });
  }
  return new BackendUnavailableError(`${what}: Redis is unavailable: ${message}`, { cause: error });
}
