import { type LockStore, wallNow } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { killAll, startWorker, type Worker } from "../processes.js";
import { useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

const TTL = 2_000;

/** A holder killed with SIGKILL frees its name by expiry, not before, and its lease stays dead. */
export function lockCrash(target: ConformanceTarget): void {
  describe("lock holder crash", () => {
    const ctx = useStorage(target);

    it("a holder killed with SIGKILL frees the lock only after its ttl; the successor's token is larger; the dead lease cannot be released or extended", async () => {
      const workers: Worker[] = [];
      try {
        const holder = startWorker(target, ctx.namespace, "hold", ["crash-lock", String(TTL)]);
        workers.push(holder);
        const held = await holder.waitFor<{ token: string; acquiredAt: number }>((m) => "token" in m);
        holder.child.kill("SIGKILL");
        await holder.exited;
        const deadToken = BigInt(held.token);
        const { lock } = ctx.storage;
        const seen = await lock.inspect("crash-lock");
        expect(seen?.token).toBe(deadToken);
        expect(await lock.tryAcquire("crash-lock"), "freed before its ttl").toBeUndefined();
        const successor = await lock.acquire("crash-lock", { ttl: 10_000, waitMs: TTL * 5, retryDelayMs: 20 });
        // Granted no earlier than the dead lease's expiry (a small allowance for clock granularity).
        expect(wallNow()).toBeGreaterThanOrEqual(held.acquiredAt + TTL - 50);
        expect(successor.token).toBeGreaterThan(deadToken);
        const driver = (lock as LockStore).driver;
        expect(await driver.release("crash-lock", deadToken)).toBe(false);
        expect(await driver.extend("crash-lock", deadToken, 60_000)).toBe(false);
        expect((await lock.inspect("crash-lock"))?.token).toBe(successor.token);
        expect(await successor.release()).toBe(true);
      } finally {
        killAll(workers);
      }
    }, 60_000);
  });
}
