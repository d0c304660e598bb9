import { monotonicNow } from "../clock.js";
import { isStowageError } from "../errors.js";
import { events, type OperationContext, type StoreKind, traces } from "./channels.js";
import type { OperationStats } from "./operation-stats.js";

/** The async operations traced on each store (iterators such as keys() and list() are not promises). */
export const TRACED_OPERATIONS: Record<StoreKind, readonly string[]> = {
  cache: [
    "get",
    "getMany",
    "set",
    "setMany",
    "delete",
    "deleteMany",
    "has",
    "ttl",
    "incr",
    "add",
    "getOrSet",
    "clear",
    "gc",
  ],
  lock: ["acquire", "tryAcquire", "withLock", "inspect"],
  checkpoint: ["put", "get", "putWrites", "deleteThread", "prune", "countThread", "gc"],
};

/** What instrument() needs of a store. */
export interface Instrumentable {
  readonly namespace: string;
  readonly operations: OperationStats;
}

/**
 * Replaces the store's operations with own-property wrappers that time every call into
 * `store.operations`, trace it on the contract's tracing channel when someone subscribes, and
 * publish backend unavailable/recovered on the first failure and first success after one.
 * Applied once, where storage.ts builds the stores.
 */
export function instrument<T extends Instrumentable>(store: T, kind: StoreKind): T {
  const trace = traces[kind];
  const backendState = { down: false };
  const target = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const operation of TRACED_OPERATIONS[kind]) {
    const method = target[operation];
    if (typeof method !== "function") continue;
    target[operation] = function traced(...args: unknown[]): Promise<unknown> {
      const begin = monotonicNow();
      const promise = trace.hasSubscribers
        ? trace.tracePromise(() => method.apply(store, args), context(kind, operation, store.namespace, args[0]))
        : method.apply(store, args);
      // The timing hangs off a side branch: the caller's promise gets no extra turn.
      promise.then(
        () => {
          store.operations.record(operation, monotonicNow() - begin, false);
          if (backendState.down) recovered(kind, store, backendState);
        },
        (error: unknown) => {
          store.operations.record(operation, monotonicNow() - begin, true);
          if (!backendState.down && isStowageError(error, "ERR_BACKEND_UNAVAILABLE"))
            unavailable(kind, store, backendState, error);
        },
      );
      return promise;
    };
  }
  return store;
}

function recovered(kind: StoreKind, store: Instrumentable, state: { down: boolean }): void {
  state.down = false;
  if (events.backendRecovered.hasSubscribers)
    events.backendRecovered.publish({ store: kind, namespace: store.namespace });
}

function unavailable(kind: StoreKind, store: Instrumentable, state: { down: boolean }, error: unknown): void {
  state.down = true;
  if (events.backendUnavailable.hasSubscribers)
    events.backendUnavailable.publish({ store: kind, namespace: store.namespace, error });
}

function context(store: StoreKind, operation: string, namespace: string, first: unknown): OperationContext {
  const ctx: OperationContext = { store, operation, namespace };
  if (typeof first === "string") ctx.target = first;
  return ctx;
}
