import { MemoryLockDriver } from "@stowage/memory";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jitter } from "../src/lock/acquire-loop.js";
import { LeaseHandle } from "../src/lock/lease-handle.js";
import { WaitQueue } from "../src/lock/wait-queue.js";

describe("lease timing", () => {
  afterEach(() => vi.restoreAllMocks());

  it("a lease is timed on the monotonic clock: a wall-clock jump neither ends nor stretches it", async () => {
    const driver = new MemoryLockDriver(() => false);
    const grant = await driver.tryAcquire("jump", 60_000);
    const lease = new LeaseHandle(driver, "jump", grant!.token, 60_000, performance.now(), 0);
    const realNow = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(realNow + 3_600_000);
    expect(lease.held).toBe(true);
    expect(lease.remainingMs).toBeGreaterThan(59_000);
  });

  it("time spent acquiring and clock drift count against the lease", () => {
    const driver = new MemoryLockDriver(() => false);
    const startedAt = performance.now() - 400;
    const lease = new LeaseHandle(driver, "late", 1n, 1_000, startedAt, 100);
    expect(lease.remainingMs).toBeLessThanOrEqual(500);
    expect(lease.remainingMs).toBeGreaterThan(400);
  });

  it("retry pauses are jittered within [0.5, 1.5) of the mean, so waiters fall out of step", () => {
    const pauses = Array.from({ length: 2_000 }, () => jitter(100));
    expect(Math.min(...pauses)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...pauses)).toBeLessThanOrEqual(150);
    expect(new Set(pauses).size).toBeGreaterThan(50);
  });

  it("a waiter that abandons its place in the in-process queue hands the turn on", async () => {
    const queue = new WaitQueue();
    const leaveFirst = await queue.enter("q");
    const controller = new AbortController();
    const second = queue.enter("q", controller.signal);
    const third = queue.enter("q");
    controller.abort(new Error("gave up"));
    await expect(second).rejects.toThrow("gave up");
    leaveFirst();
    const leaveThird = await third;
    leaveThird();
  });
});
