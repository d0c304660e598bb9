import { assertFunction, assertOptions } from "../arguments.js";
import { monotonicNow } from "../clock.js";
import type { AcquireOptions, Lease, Lock, WithLockOptions } from "../contracts.js";
import type { LockDriver } from "../drivers/lock-driver.js";
import { InvalidArgumentError } from "../errors.js";
import { assertKey } from "../keys.js";
import { type BackendHandle, StoreBase } from "../store-base.js";
import { assertTtl } from "../ttl.js";
import { acquireLoop } from "./acquire-loop.js";
import { LeaseHandle } from "./lease-handle.js";
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
    const leave = this.#queue.tryEnter(name) ?? (await this.#queue.enter(name, options.signal));
    try {
      const left = Math.max(0, Math.round(waitMs - (monotonicNow() - begin)));
      const { grant, startedAt } = await acquireLoop(this.driver, name, {
        ttl,
        waitMs: left,
        retryDelayMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return new LeaseHandle(this.driver, name, grant.token, ttl, startedAt, grant.driftMs ?? 0);
    } finally {
      leave();
    }
  }

  async tryAcquire(name: string, options: { ttl?: number } = {}): Promise<Lease | undefined> {
    this.assertOpen();
    assertKey(name, "lock name");
    assertOptions(options);
    const ttl = orDefault(options.ttl, this.#options.defaultTtl);
    assertTtl(ttl);
    const startedAt = monotonicNow();
    const grant = await this.driver.tryAcquire(name, ttl);
    return grant && new LeaseHandle(this.driver, name, grant.token, ttl, startedAt, grant.driftMs ?? 0);
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
