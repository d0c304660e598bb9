import { isDeepStrictEqual } from "node:util";
import { isStowageError } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { killAll, startWorker, type Worker } from "../processes.js";
import { propertyRuns } from "../runs.js";
import { uniqueNamespace, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** Processes looping gc(), prune() and another namespace's clear() beside the one under test. */
const MAINTAINERS = 2;
const THREADS = ["maintained-a", "maintained-b"];
/** Long enough to outlive the test on any machine: gc must never take these. */
const LONG_TTL = 3_600_000;

/**
 * Maintenance running in other processes never breaks this one: gc() (expired entries and
 * checkpoints, empty directories), checkpoint prune() and clear() of another namespace loop
 * while this process writes and reads cache entries (with and without ttls, over entries that
 * have just expired), locks and checkpoints. No spurious error, every acknowledged write reads
 * back at once, and nothing with a long ttl is removed.
 */
export function concurrentMaintenance(target: ConformanceTarget): void {
  describe("maintenance in other processes", () => {
    const ctx = useStorage(target);

    it(`gc, prune and another namespace's clear() looping in ${MAINTAINERS} other processes: no spurious error, every acknowledged write reads back`, async () => {
      const neighbourNamespace = uniqueNamespace();
      const workers: Worker[] = [];
      try {
        for (let p = 0; p < MAINTAINERS; p++) {
          workers.push(startWorker(target, ctx.namespace, "maintain", [neighbourNamespace, THREADS.join(",")]));
        }
        await Promise.all(workers.map((w) => w.waitFor((m) => m.ready === true)));
        const neighbour = await ctx.another(neighbourNamespace);
        const { cache, lock, checkpoint } = ctx.storage;
        for (let i = 0; i < 16; i++) await cache.set(`kept:${i}`, i, { ttl: LONG_TTL });
        for (const worker of workers) worker.send("go");

        const failures: string[] = [];
        const expectSame = (what: string, actual: unknown, expected: unknown) => {
          if (!isDeepStrictEqual(actual, expected) && failures.length < 20) {
            failures.push(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
          }
        };
        const counters = new Map<string, number>();
        const iterations = propertyRuns(60);
        for (let i = 0; i < iterations && failures.length < 20; i++) {
          try {
            // Each key is first written with a ttl that has run out by the time it is written
            // again, so gc in the other processes is removing it just as this one replaces it.
            for (const key of [`k:${i % 32}`, `long:${"x".repeat(300)}:${i % 8}`]) {
              await cache.set(key, { i, soon: "gone" }, { ttl: 1 });
              await neighbour.cache.set(key, i);
              const ttl = i % 2 === 0 ? { ttl: LONG_TTL } : undefined;
              await cache.set(key, { i }, ttl);
              expectSame(`get("${key.slice(0, 12)}…") right after set #${i}`, await cache.get(key), { i });
            }
            const many = [`m:${i % 16}`, `m:${(i + 5) % 16}`];
            await cache.setMany(many.map((key) => ({ key, value: i, ttl: LONG_TTL })));
            expectSame(`getMany after setMany #${i}`, await cache.getMany(many), [i, i]);

            const counter = `c:${i % 4}`;
            const next = (counters.get(counter) ?? 0) + 1;
            counters.set(counter, next);
            expectSame(`incr("${counter}") #${i}`, await cache.incr(counter), next);

            const added = `a:${i % 8}`;
            await cache.delete(added);
            expectSame(`add("${added}") after delete #${i}`, await cache.add(added, i), true);
            expectSame(`get("${added}") after add #${i}`, await cache.get(added), i);

            const lease = await lock.acquire(`l:${i % 4}`, { ttl: 10_000, waitMs: 5_000 });
            expectSame(`release of a held lease #${i}`, await lease.release(), true);

            const threadId = THREADS[i % THREADS.length] as string;
            const put = await checkpoint.put({
              threadId,
              payload: { i },
              metadata: { i },
              channels: { messages: `v${i}` },
              blobs: [{ channel: "messages", version: `v${i}`, value: [i] }],
            });
            const latest = await checkpoint.get(threadId);
            expectSame(`latest checkpoint of ${threadId} right after put #${i}`, latest?.id, put.id);
            expectSame(`its payload #${i}`, latest?.payload, { i });
            expectSame(`its channel value #${i}`, latest?.channelValues, { messages: [i] });
            await checkpoint.putWrites(threadId, { checkpointId: put.id }, [
              { taskId: "task", index: 0, channel: "messages", value: i },
            ]);
            const withWrites = await checkpoint.get(threadId, { id: put.id });
            expectSame(`pending writes right after putWrites #${i}`, withWrites?.pendingWrites.length, 1);
          } catch (error) {
            const code = isStowageError(error) ? error.code : "not a StowageError";
            failures.push(`#${i}: ${code}: ${(error as Error).message}`);
          }
        }
        for (let i = 0; i < 16; i++) expectSame(`kept:${i} (ttl ${LONG_TTL} ms)`, await cache.get(`kept:${i}`), i);

        for (const worker of workers) worker.send("stop");
        const reports = await Promise.all(
          workers.map((w) => w.waitFor<{ rounds: number; errors: string[] }>((m) => "rounds" in m, 60_000)),
        );
        expect(failures, "writes and reads beside the maintenance").toEqual([]);
        expect(
          reports.flatMap((r) => r.errors),
          "the maintenance itself",
        ).toEqual([]);
        expect(Math.min(...reports.map((r) => r.rounds)), "rounds of maintenance each process ran").toBeGreaterThan(0);
      } finally {
        killAll(workers);
      }
    }, 120_000);
  });
}
