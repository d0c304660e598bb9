import type { LockStore } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { concurrently, expectCode, sleepMs, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** Mutual exclusion, fencing tokens, expiry, extend/release semantics, bounded and cancellable waits. */
export function lockBasics(target: ConformanceTarget): void {
  describe("lock", () => {
    const ctx = useStorage(target);

    it("hold intervals of 40 concurrent callers on two instances never overlap, and each sees the counter it left", async () => {
      const other = await ctx.another();
      const locks = [ctx.storage.lock, other.lock];
      let counter = 0;
      let holders = 0;
      let maxHolders = 0;
      await concurrently(40, async (i) => {
        const lock = locks[i % 2] as typeof ctx.storage.lock;
        await lock.withLock(
          "shared",
          async () => {
            holders++;
            maxHolders = Math.max(maxHolders, holders);
            const seen = counter;
            await sleepMs(1 + (i % 3));
            counter = seen + 1;
            holders--;
          },
          { ttl: 5_000, waitMs: 30_000, retryDelayMs: 5 },
        );
      });
      expect(maxHolders).toBe(1);
      expect(counter).toBe(40);
    });

    it("tryAcquire returns undefined while the name is held and a lease after release", async () => {
      const { lock } = ctx.storage;
      const lease = await lock.acquire("job", { ttl: 5_000 });
      expect(await lock.tryAcquire("job")).toBeUndefined();
      expect(await lease.release()).toBe(true);
      const next = await lock.tryAcquire("job");
      expect(next).toBeDefined();
      await next?.release();
    });

    it("every acquisition's fencing token is greater than all earlier ones for the name, also after expiry", async () => {
      const { lock } = ctx.storage;
      const tokens: bigint[] = [];
      for (let i = 0; i < 5; i++) {
        const lease = await lock.acquire("fenced", { ttl: 5_000 });
        tokens.push(lease.token);
        await lease.release();
      }
      const expiring = await lock.acquire("fenced", { ttl: 100 });
      tokens.push(expiring.token);
      await sleepMs(300);
      const after = await lock.acquire("fenced", { ttl: 5_000 });
      tokens.push(after.token);
      await after.release();
      for (let i = 1; i < tokens.length; i++) expect(tokens[i] as bigint).toBeGreaterThan(tokens[i - 1] as bigint);
      expect(typeof tokens[0]).toBe("bigint");
    });

    it("a lease that expired and was taken cannot release or extend, and never touches the new holder", async () => {
      const { lock } = ctx.storage;
      const old = await lock.acquire("taken", { ttl: 150 });
      await sleepMs(400);
      const current = await lock.acquire("taken", { ttl: 5_000, waitMs: 0 });
      expect(await old.extend(5_000)).toBe(false);
      expect(await old.release()).toBe(false);
      expect((await lock.inspect("taken"))?.token).toBe(current.token);
      expect(await lock.tryAcquire("taken")).toBeUndefined();
      expect(await current.release()).toBe(true);
    });

    it("extend after expiry returns false even when nobody took the lock", async () => {
      const { lock } = ctx.storage;
      const lease = await lock.acquire("lapsed", { ttl: 150 });
      await sleepMs(400);
      expect(lease.held).toBe(false);
      expect(await lease.extend(5_000)).toBe(false);
      expect(await lock.inspect("lapsed")).toBeUndefined();
    });

    it("extend keeps the lease past its first ttl", async () => {
      const { lock } = ctx.storage;
      // Wide margins: on a loaded machine a 150 ms sleep can overrun a 300 ms ttl.
      const lease = await lock.acquire("long", { ttl: 1_500 });
      await sleepMs(300);
      expect(await lease.extend(6_000)).toBe(true);
      await sleepMs(1_500);
      expect(lease.held).toBe(true);
      expect(await lock.tryAcquire("long")).toBeUndefined();
      expect(await lease.release()).toBe(true);
      expect(await lease.release()).toBe(false);
    });

    it("a waiter gets the name when the holder releases", async () => {
      const { lock } = ctx.storage;
      const other = await ctx.another();
      const holder = await lock.acquire("handoff", { ttl: 10_000 });
      const waiting = other.lock.acquire("handoff", { ttl: 5_000, waitMs: 10_000 });
      await sleepMs(100);
      await holder.release();
      const lease = await waiting;
      expect(lease.token).toBeGreaterThan(holder.token);
      await lease.release();
    });

    it("waiting is bounded by waitMs and ends in ERR_LOCK_TIMEOUT", async () => {
      const { lock } = ctx.storage;
      const holder = await lock.acquire("busy", { ttl: 10_000 });
      const started = performance.now();
      await expectCode(lock.acquire("busy", { waitMs: 300 }), "ERR_LOCK_TIMEOUT");
      expect(performance.now() - started).toBeGreaterThanOrEqual(280);
      await holder.release();
    });

    it("a wait that timed out keeps no place in line: another instance takes the freed name at once", async () => {
      const waiter = await ctx.another();
      const taker = await ctx.another();
      const holder = await ctx.storage.lock.acquire("gave-up", { ttl: 10_000 });
      await expectCode(waiter.lock.acquire("gave-up", { ttl: 5_000, waitMs: 60, retryDelayMs: 5 }), "ERR_LOCK_TIMEOUT");
      expect(await holder.release()).toBe(true);
      const lease = await taker.lock.tryAcquire("gave-up", { ttl: 5_000 });
      expect(lease, "tryAcquire of a free name after the only waiter gave up").toBeDefined();
      expect(await lease?.release()).toBe(true);
    });

    it("an aborted wait rejects with the signal's reason and leaves nothing held", async () => {
      const { lock } = ctx.storage;
      const holder = await lock.acquire("abort", { ttl: 10_000 });
      const controller = new AbortController();
      const waiting = lock.acquire("abort", { waitMs: 10_000, signal: controller.signal });
      setTimeout(() => controller.abort(new Error("caller gave up")), 100);
      await expect(waiting).rejects.toThrow("caller gave up");
      await holder.release();
      expect(await lock.inspect("abort")).toBeUndefined();
      const next = await lock.tryAcquire("abort");
      expect(next).toBeDefined();
      await next?.release();
      await expect(lock.acquire("abort", { signal: AbortSignal.abort(new Error("already")) })).rejects.toThrow(
        "already",
      );
      expect(await lock.inspect("abort")).toBeUndefined();
    });

    it("waiters in one process are served in arrival order", async () => {
      const { lock } = ctx.storage;
      const holder = await lock.acquire("queue", { ttl: 10_000 });
      const order: number[] = [];
      const waiters = [0, 1, 2, 3, 4].map(async (i) => {
        await sleepMs(i * 20);
        const lease = await lock.acquire("queue", { ttl: 5_000, waitMs: 20_000, retryDelayMs: 10 });
        order.push(i);
        await lease.release();
      });
      await sleepMs(200);
      await holder.release();
      await Promise.all(waiters);
      expect(order).toEqual([0, 1, 2, 3, 4]);
    });

    it("withLock extends the lease while fn runs longer than the ttl, and releases after", async () => {
      const { lock } = ctx.storage;
      let signalAborted = true;
      const result = await lock.withLock(
        "worker",
        async (signal) => {
          // Well past the ttl, with room for an extension that a loaded machine runs late.
          await sleepMs(2_500);
          expect(await lock.tryAcquire("worker", { ttl: 1_000 })).toBeUndefined();
          signalAborted = signal.aborted;
          return "done";
        },
        { ttl: 1_000 },
      );
      expect(result).toBe("done");
      expect(signalAborted).toBe(false);
      expect(await lock.inspect("worker")).toBeUndefined();
    });

    it("withLock aborts its signal and rejects with ERR_LOCK_LOST when the lease is lost", async () => {
      const { lock } = ctx.storage;
      let aborted = false;
      const run = lock.withLock(
        "stolen",
        async (signal, lease) => {
          // Simulates the backend losing the lease (e.g. a failover), then another holder taking it.
          await (lock as LockStore).driver.release("stolen", lease.token);
          const thief = await lock.acquire("stolen", { ttl: 5_000 });
          await new Promise<void>((resolve) => {
            signal.addEventListener("abort", () => resolve(), { once: true });
            setTimeout(resolve, 3_000);
          });
          aborted = signal.aborted;
          await thief.release();
        },
        { ttl: 300, extendEveryMs: 50 },
      );
      await expectCode(run, "ERR_LOCK_LOST");
      expect(aborted).toBe(true);
    });

    it("withLock releases when fn throws, and rethrows", async () => {
      const { lock } = ctx.storage;
      await expect(lock.withLock("throws", () => Promise.reject(new Error("fn failed")))).rejects.toThrow("fn failed");
      expect(await lock.inspect("throws")).toBeUndefined();
    });

    it("await using releases the lease at the end of the block", async () => {
      const { lock } = ctx.storage;
      {
        await using lease = await lock.acquire("scoped", { ttl: 5_000 });
        expect(lease.held).toBe(true);
        expect(await lock.tryAcquire("scoped")).toBeUndefined();
      }
      expect(await lock.inspect("scoped")).toBeUndefined();
    });
  });
}
