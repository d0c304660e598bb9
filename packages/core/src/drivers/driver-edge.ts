import { ClosedError, isStowageError, type StowageError } from "../errors.js";

/** What an adapter tells the edge about its backend: its name, whether it is closed, how its errors read. */
export interface DriverEdge {
  /** How a ClosedError names the backend, e.g. "sqlite database /var/lib/app.db". */
  readonly label: string;
  /** True once the backend is closed; called before every driver method, so keep it a field read. */
  isClosed(): boolean;
  /**
   * A backend failure (never a StowageError) as the StowageError a caller can act on. Left out by a
   * backend whose drivers throw only StowageErrors (memory): the edge then only checks open, and adds
   * no promise to a call.
   */
  classify?(error: unknown, method: string): StowageError;
  /** For a rejected promise only: may wait for the real cause first (lmdb's failed commit). */
  settle?(error: unknown, method: string): Promise<StowageError>;
}

/**
 * Returns `driver` behind the one edge every adapter shares: each method (own or inherited,
 * found once here) first checks the backend is open, then maps whatever it throws, rejects
 * or yields as an error to a StowageError. Sync methods stay sync; the driver's own internal
 * calls (`this.x()`) skip the edge, because methods run on the driver itself.
 */
export function wrapDriver<T extends object>(driver: T, edge: DriverEdge): T {
  const facade = Object.create(driver) as T;
  for (const [name, descriptor] of driverMembers(driver)) {
    if (typeof descriptor.value === "function") {
      // Configurable like a class method, so a Proxy around the facade (a test's broken store) may rewrite it.
      Object.defineProperty(facade, name, {
        value: guardMethod(driver, name, descriptor.value, edge),
        writable: true,
        configurable: true,
      });
    } else if (descriptor.get || descriptor.set) {
      // An accessor reading a #private field must run on the driver, not on the facade.
      Object.defineProperty(facade, name, {
        get: descriptor.get && (() => descriptor.get?.call(driver)),
        set: descriptor.set && ((value: unknown) => descriptor.set?.call(driver, value)),
        configurable: true,
      });
    }
  }
  return facade;
}

/** Names the edge guards: every method and accessor from the driver up to (not including) Object.prototype. */
export function driverMembers(driver: object): Map<string | symbol, PropertyDescriptor> {
  const members = new Map<string | symbol, PropertyDescriptor>();
  for (let level: object | null = driver; level && level !== Object.prototype; level = Object.getPrototypeOf(level)) {
    for (const name of Reflect.ownKeys(level)) {
      if (name === "constructor" || members.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(level, name) as PropertyDescriptor;
      if (typeof descriptor.value === "function" || descriptor.get || descriptor.set) members.set(name, descriptor);
    }
  }
  return members;
}

/** The reason of an aborted signal the caller passed in: the caller's own value, never a backend failure. */
function callerAborted(args: readonly unknown[], error: unknown): boolean {
  for (const arg of args) if (arg instanceof AbortSignal && arg.aborted && arg.reason === error) return true;
  return false;
}

function guardMethod(
  driver: object,
  name: string | symbol,
  method: (...args: unknown[]) => unknown,
  edge: DriverEdge,
): (...args: unknown[]) => unknown {
  const label = String(name);
  // Async methods report a closed store as a rejection, as their callers expect; learnt from the first promise returned.
  let returnsPromise = method.constructor.name === "AsyncFunction";
  const classify = edge.classify;
  if (!classify) return openOnly(driver, method, edge);
  const fail = (error: unknown): StowageError => {
    if (isStowageError(error) || isAbort(error)) return error as StowageError;
    if (edge.isClosed()) return new ClosedError(edge.label);
    try {
      return classify(error, label);
    } catch {
      // A thrown value the classifier cannot even print (e.g. a toString that is not a function).
      return classify(new Error(`${label} threw ${Object.prototype.toString.call(error)}`), label);
    }
  };
  const reject = (error: unknown): Promise<never> => {
    if (edge.settle && !isStowageError(error) && !isAbort(error) && !edge.isClosed()) {
      return edge.settle(error, label).then((mapped) => Promise.reject(mapped));
    }
    return Promise.reject(fail(error));
  };
  return function guarded(...args: unknown[]): unknown {
    if (edge.isClosed()) {
      const closed = new ClosedError(edge.label);
      if (returnsPromise) return Promise.reject(closed);
      throw closed;
    }
    let result: unknown;
    try {
      result = method.apply(driver, args);
    } catch (error) {
      if (callerAborted(args, error)) throw error;
      if (returnsPromise) return reject(error);
      throw fail(error);
    }
    if (result instanceof Promise) {
      returnsPromise = true;
      return result.then(undefined, (error: unknown) =>
        callerAborted(args, error) ? Promise.reject(error) : reject(error),
      );
    }
    if (result !== null && typeof result === "object" && Symbol.asyncIterator in result) {
      return guardIterable(result as AsyncIterable<unknown>, edge, fail);
    }
    return result;
  };
}

/** The edge of a backend with nothing to classify: ERR_CLOSED once closed, otherwise the method itself. */
function openOnly(
  driver: object,
  method: (...args: unknown[]) => unknown,
  edge: DriverEdge,
): (...args: unknown[]) => unknown {
  const rejects = method.constructor.name === "AsyncFunction";
  return function guarded(...args: unknown[]): unknown {
    if (edge.isClosed()) {
      const closed = new ClosedError(edge.label);
      if (rejects) return Promise.reject(closed);
      throw closed;
    }
    return method.apply(driver, args);
  };
}

async function* guardIterable(
  iterable: AsyncIterable<unknown>,
  edge: DriverEdge,
  fail: (error: unknown) => StowageError,
): AsyncIterable<unknown> {
  const iterator = iterable[Symbol.asyncIterator]();
  try {
    for (;;) {
      // A store closed between two pages ends the iteration with ERR_CLOSED, not a backend error.
      if (edge.isClosed()) throw new ClosedError(edge.label);
      const step = await iterator.next();
      if (step.done) return;
      yield step.value;
    }
  } catch (error) {
    throw fail(error);
  } finally {
    await iterator.return?.();
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}
