import { assertFunction, assertOptions } from "../arguments.js";
import { monotonicNow } from "../clock.js";
import type { AcquireOptions, Lease, Lock, LockStats, WithLockOptions } from "../contracts.js";
import type { LockDriver } from "../drivers/lock-driver.js";
import { InvalidArgumentError, isStowageError } from "../errors.js";
import { assertKey } from "../keys.js";
import { events } from "../observability/channels.js";
import { OperationStats } from "../observability/operation-stats.js";
import { type BackendHandle, StoreBase } from "../store-base.js";
import { assertTtl } from "../ttl.js";
import { acquireLoop } from "./acquire-loop.js";
import { LeaseHandle, type LeaseObserver } from "./lease-handle.js";
import { WaitQueue } from "./wait-queue.js";
import { runWithLock } from "./with-lock.js";

/** Defaults of a lock store. */
export interface LockStoreOptions {
  namespace: string;
  /** Lease length when a call gives none (ms). */
  defaultTtl: number;
  /** Wait bound when a call gives none (ms). */
  defaultWaitMs: number;
  /** Mean retry pause (ms). */
  retryDelayMs: number;
}

export const LOCK_DEFAULTS = { defaultTtl: 30_000, defaultWaitMs: 10_000, retryDelayMs: 50 } as const;

/** The given option, or the default only when it was left out (null is a bad value, not "default"). */
function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

function assertNonNegativeInteger(value: unknown, field: string): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      `${field} must be a non-negative integer number of milliseconds, got ${String(value)}`,
    );
  }
}

/** The lock contract over any backend's LockDriver: the wait loop, lease timing and withLock live here once. */
export class LockStore extends StoreBase implements Lock {
  readonly namespace: string;
  readonly driver: LockDriver;
  readonly #options: LockStoreOptions;
  readonly #queue = new WaitQueue();
  /** Latency of each operation, recorded by the instrument() wrapper storage.ts applies. */
  readonly operations = new OperationStats();
  readonly #counts = { acquisitions: 0, waits: 0, waitTotalMs: 0, waitMaxMs: 0, timeouts: 0, lost: 0, releases: 0 };
  readonly #observer: LeaseObserver = {
    released: (lease) => {
      this.#counts.releases++;
      if (events.lockReleased.hasSubscribers)
        events.lockReleased.publish({ namespace: this.namespace, name: lease.name, token: lease.token });
    },
    lost: (lease) => {
      this.#counts.lost++;
      if (events.lockLost.hasSubscribers)
        events.lockLost.publish({ namespace: this.namespace, name: lease.name, token: lease.token });
    },
  };

  constructor(driver: LockDriver, handle: BackendHandle, options: LockStoreOptions) {
    super(handle, `lock store "${options.namespace}"`);
    this.driver = driver;
    this.namespace = options.namespace;
    this.#options = options;
  }

  async acquire(name: string, options: AcquireOptions = {}): Promise<Lease> {
    this.assertOpen();
    assertKey(name, "lock name");
    assertOptions(options);
    const ttl = orDefault(options.ttl, this.#options.defaultTtl);
    const waitMs = orDefault(options.waitMs, this.#options.defaultWaitMs);
    const retryDelayMs = orDefault(options.retryDelayMs, this.#options.retryDelayMs);
    assertTtl(ttl);
    assertNonNegativeInteger(waitMs, "waitMs");
    if (typeof retryDelayMs !== "number" || !Number.isInteger(retryDelayMs) || retryDelayMs < 1) {
      throw new InvalidArgumentError(`retryDelayMs must be a positive integer, got ${String(retryDelayMs)}`);
    }
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw new InvalidArgumentError("signal must be an AbortSignal or left out");
    }
    options.signal?.throwIfAborted();
    const begin = monotonicNow();
    // An uncontended name is entered without waiting a turn; otherwise wait in line.
    const entered = this.#queue.tryEnter(name);
    const attempts = { count: entered === undefined ? 1 : 0 };
    const leave = entered ?? (await this.#queue.enter(name, options.signal));
    try {
      const left = Math.max(0, Math.round(waitMs - (monotonicNow() - begin)));
      const { grant, startedAt } = await acquireLoop(countingAttempts(this.driver, attempts), name, {
        ttl,
        waitMs: left,
        retryDelayMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (attempts.count > 1) this.#waited(name, monotonicNow() - begin);
      return this.#granted(name, grant.token, ttl, startedAt, grant.driftMs ?? 0);
    } catch (error) {
      if (isStowageError(error, "ERR_LOCK_TIMEOUT")) {
        const waitedMs = monotonicNow() - begin;
        this.#counts.timeouts++;
        this.#waited(name, waitedMs);
        if (events.lockTimeout.hasSubscribers)
          events.lockTimeout.publish({ namespace: this.namespace, name, waitedMs });
      }
      throw error;
    } finally {
      leave();
    }
  }

  #granted(name: string, token: bigint, ttl: number, startedAt: number, driftMs: number): LeaseHandle {
    this.#counts.acquisitions++;
    if (events.lockAcquired.hasSubscribers) events.lockAcquired.publish({ namespace: this.namespace, name, token });
    return new LeaseHandle(this.driver, name, token, ttl, startedAt, driftMs, this.#observer);
  }

  #waited(name: string, waitedMs: number): void {
    this.#counts.waits++;
    this.#counts.waitTotalMs += waitedMs;
    if (waitedMs > this.#counts.waitMaxMs) this.#counts.waitMaxMs = waitedMs;
    if (events.lockWaited.hasSubscribers) events.lockWaited.publish({ namespace: this.namespace, name, waitedMs });
  }

  /** Counters of this process; never touches the backend. */
  async stats(): Promise<LockStats> {
    this.assertOpen();
    return { ...this.#counts, operations: this.operations.snapshot() };
  }

  async tryAcquire(name: string, options: { ttl?: number } = {}): Promise<Lease | undefined> {
    this.assertOpen();
    assertKey(name, "lock name");
    assertOptions(options);
    const ttl = orDefault(options.ttl, this.#options.defaultTtl);
    assertTtl(ttl);
    const startedAt = monotonicNow();
    const grant = await this.driver.tryAcquire(name, ttl);
    return grant && this.#granted(name, grant.token, ttl, startedAt, grant.driftMs ?? 0);
  }

  async withLock<T>(
    name: string,
    fn: (signal: AbortSignal, lease: Lease) => T | Promise<T>,
    options: WithLockOptions = {},
  ): Promise<T> {
    this.assertOpen();
    assertKey(name, "lock name");
    assertFunction(fn, "withLock's fn");
    assertOptions(options);
    const ttl = orDefault(options.ttl, this.#options.defaultTtl);
    assertTtl(ttl);
    const extendEveryMs = orDefault(options.extendEveryMs, Math.max(1, Math.floor(ttl / 3)));
    assertTtl(extendEveryMs, "extendEveryMs");
    const lease = (await this.acquire(name, { ...options, ttl })) as LeaseHandle;
    return runWithLock(lease, ttl, extendEveryMs, fn);
  }

  async inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined> {
    this.assertOpen();
    assertKey(name, "lock name");
    return this.driver.inspect(name);
  }
}

/** The driver with its tryAcquire calls counted: more than one means the caller waited. */
function countingAttempts(driver: LockDriver, attempts: { count: number }): LockDriver {
  return new Proxy(driver, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === "tryAcquire")
        return (name: string, ttl: number, wait?: { placeMs: number }) => {
          attempts.count++;
          return target.tryAcquire(name, ttl, wait);
        };
      // Members with private state need the driver itself as `this`.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
