import { describe, expect, it } from "vitest";
import { killAll, startWorker, type Worker } from "../processes.js";
import { useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

const PROCESSES = 4;
const EACH = 100;

/** incr, add and json.set are atomic across processes sharing the backend. */
export function cacheProcesses(target: ConformanceTarget): void {
  describe("cache atomicity across processes", () => {
    const ctx = useStorage(target);

    it(`${PROCESSES} processes: incr loses no update, exactly one add wins, json.set loses no field`, async () => {
      const workers: Worker[] = [];
      try {
        for (let p = 0; p < PROCESSES; p++)
          workers.push(startWorker(target, ctx.namespace, "atomic", [String(p), String(EACH)]));
        await Promise.all(workers.map((w) => w.waitFor((m) => m.ready === true)));
        for (const worker of workers) worker.send("go");
        const results = await Promise.all(
          workers.map((w) => w.waitFor<{ won: boolean }>((m) => m.done === true, 120_000)),
        );
        const { cache } = ctx.storage;
        expect(await cache.get("counter")).toBe(PROCESSES * EACH);
        expect(results.filter((r) => r.won).length).toBe(1);
        const doc = (await cache.get("doc")) as Record<string, number>;
        expect(Object.keys(doc).length).toBe(PROCESSES * EACH);
      } finally {
        killAll(workers);
      }
    }, 180_000);
  });
}
