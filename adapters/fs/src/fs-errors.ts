import { BackendUnavailableError, isStowageError } from "@stowage/core";

/** An error from the filesystem (EACCES, ENOSPC, EROFS, EIO, …) as the StowageError callers can rely on. */
export function toStowageError(error: unknown, dir: string): unknown {
  if (isStowageError(error) || (error as Error | undefined)?.name === "AbortError") return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new BackendUnavailableError(`file backend ${dir}: ${code ?? "error"}: ${message}`, { cause: error });
}

/**
 * Wraps a driver so that every method rejects with a StowageError: filesystem errors become
 * ERR_BACKEND_UNAVAILABLE at this one edge instead of in every method.
 */
export function withStowageErrors<T extends object>(driver: T, dir: string): T {
  return new Proxy(driver, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (error) {
          throw toStowageError(error, dir);
        }
        if (result instanceof Promise)
          return result.catch((error: unknown) => Promise.reject(toStowageError(error, dir)));
        if (result !== null && typeof result === "object" && Symbol.asyncIterator in result) {
          return mapIterable(result as AsyncIterable<unknown>, dir);
        }
        return result;
      };
    },
  });
}

async function* mapIterable(iterable: AsyncIterable<unknown>, dir: string): AsyncIterable<unknown> {
  try {
    yield* iterable;
  } catch (error) {
    throw toStowageError(error, dir);
  }
}
