import { describe, expect, it } from "vitest";
import { killAll, startWorker, type Worker } from "./processes.js";
import { useStorage } from "./support.js";
import type { ConformanceTarget } from "./target.js";

const ACKED_BEFORE_KILL = 150;

/** Nothing acknowledged is lost when the writing process is killed. */
export function crashRecovery(target: ConformanceTarget): void {
  describe("crash recovery", () => {
    const ctx = useStorage(target);

    it("a writer killed with SIGKILL mid-stream loses no acknowledged cache entry or checkpoint", async () => {
      const workers: Worker[] = [];
      try {
        const writer = startWorker(target, ctx.namespace, "writer", []);
        workers.push(writer);
        await writer.waitFor((m) => typeof m.acked === "number" && m.acked >= ACKED_BEFORE_KILL, 120_000);
        writer.child.kill("SIGKILL");
        await writer.exited;
        const acked = writer.messages.filter((m) => typeof m.acked === "number").map((m) => m.acked as number);
        const last = Math.max(...acked);
        const reopened = await ctx.another();
        const keys = Array.from({ length: last + 1 }, (_, i) => `acked:${i}`);
        const values = (await reopened.cache.getMany(keys)) as ({ i: number } | undefined)[];
        const missing = keys.filter((_, i) => values[i]?.i !== i);
        expect(missing, "acknowledged entries lost").toEqual([]);
        const latest = await reopened.checkpoint.get("crash");
        expect((latest?.metadata.i as number) >= last).toBe(true);
      } finally {
        killAll(workers);
      }
    }, 180_000);
  });
}
