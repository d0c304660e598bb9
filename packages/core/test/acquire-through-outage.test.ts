import { MemoryLockDriver } from "@stowage/memory";
import { describe, expect, it } from "vitest";
import type { LockDriver } from "../src/drivers/lock-driver.js";
import { BackendUnavailableError } from "../src/errors.js";
import { acquireLoop } from "../src/lock/acquire-loop.js";

/** A lock driver whose backend is unreachable for the first `outages` calls of tryAcquire. */
function flaky(outages: number): LockDriver & { calls: number } {
  const inner = new MemoryLockDriver(() => false);
  const driver = {
    calls: 0,
    async tryAcquire(name: string, ttlMs: number) {
      driver.calls++;
      if (driver.calls <= outages) throw new BackendUnavailableError("reconnecting");
      return inner.tryAcquire(name, ttlMs);
    },
    extend: inner.extend.bind(inner),
    release: inner.release.bind(inner),
    inspect: inner.inspect.bind(inner),
  };
  return driver;
}

describe("acquire through a transient loss of the backend", () => {
  it("an acquire with time left keeps trying while the backend is unreachable, and gets the lease when it returns", async () => {
    const driver = flaky(3);
    const { grant } = await acquireLoop(driver, "n", { ttl: 1_000, waitMs: 5_000, retryDelayMs: 5 });
    expect(grant.token).toBeGreaterThan(0n);
    expect(driver.calls).toBe(4);
  });

  it("when the backend stays unreachable, the acquire fails with ERR_BACKEND_UNAVAILABLE (not a timeout) once waitMs runs out", async () => {
    const driver = flaky(Number.POSITIVE_INFINITY);
    const started = performance.now();
    await expect(acquireLoop(driver, "n", { ttl: 1_000, waitMs: 200, retryDelayMs: 10 })).rejects.toMatchObject({
      code: "ERR_BACKEND_UNAVAILABLE",
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(driver.calls).toBeGreaterThan(1);
  });

  it("with waitMs 0 an unreachable backend fails at once, after one try", async () => {
    const driver = flaky(Number.POSITIVE_INFINITY);
    await expect(acquireLoop(driver, "n", { ttl: 1_000, waitMs: 0, retryDelayMs: 10 })).rejects.toMatchObject({
      code: "ERR_BACKEND_UNAVAILABLE",
    });
    expect(driver.calls).toBe(1);
  });

  it("an error other than unavailability is not retried", async () => {
    let calls = 0;
    const driver: LockDriver = {
      async tryAcquire() {
        calls++;
        throw new TypeError("a bug");
      },
      extend: async () => false,
      release: async () => false,
      inspect: async () => undefined,
    };
    await expect(acquireLoop(driver, "n", { ttl: 1_000, waitMs: 1_000, retryDelayMs: 5 })).rejects.toThrow("a bug");
    expect(calls).toBe(1);
  });

  it("a signal aborts the wait through an outage", async () => {
    const driver = flaky(Number.POSITIVE_INFINITY);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop")), 50);
    await expect(
      acquireLoop(driver, "n", { ttl: 1_000, waitMs: 10_000, retryDelayMs: 10, signal: controller.signal }),
    ).rejects.toThrow("stop");
  });
});
