import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { killAll, startWorker, type Worker } from "../processes.js";
import { uniqueNamespace, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

export const WORKERS = 8;
export const ITERATIONS = 200;
/** While every worker competes, none gets fewer than this fraction of an even share. */
export const FAIRNESS_FLOOR = 0.25;

interface Acquisition {
  worker: number;
  token: bigint;
  start: bigint;
  end: bigint;
  waitMs: number;
}

/** Many processes, one lock: the seed's file lock let two holders in at once; this proves ours does not. */
export function lockProcesses(target: ConformanceTarget): void {
  describe("lock across processes", () => {
    useStorage(target);

    it(`${WORKERS} processes × ${ITERATIONS} locked increments of one file: exact count, no overlap, rising tokens, fair shares`, async () => {
      const namespace = uniqueNamespace();
      const dir = mkdtempSync(join(tmpdir(), "stowage-counter-"));
      const counterFile = join(dir, "counter");
      writeFileSync(counterFile, "0");
      const workers: Worker[] = [];
      try {
        for (let w = 0; w < WORKERS; w++) {
          workers.push(startWorker(target, namespace, "counter", ["counter-lock", counterFile, String(ITERATIONS)]));
        }
        await Promise.all(workers.map((worker) => worker.waitFor((m) => m.ready === true)));
        for (const worker of workers) worker.send("go");
        const results = await Promise.all(
          workers.map((worker) =>
            worker.waitFor<{ records: { token: string; start: string; end: string; waitMs: number }[] }>(
              (m) => "records" in m,
              180_000,
            ),
          ),
        );
        const acquisitions: Acquisition[] = results.flatMap((result, worker) =>
          result.records.map((r) => ({
            worker,
            token: BigInt(r.token),
            start: BigInt(r.start),
            end: BigInt(r.end),
            waitMs: r.waitMs,
          })),
        );
        expect(Number(readFileSync(counterFile, "utf8"))).toBe(WORKERS * ITERATIONS);
        acquisitions.sort((a, b) => (a.start < b.start ? -1 : 1));
        for (let i = 1; i < acquisitions.length; i++) {
          const previous = acquisitions[i - 1] as Acquisition;
          const current = acquisitions[i] as Acquisition;
          expect(current.start, "hold intervals overlap").toBeGreaterThanOrEqual(previous.end);
          expect(current.token, "tokens must rise in acquisition order").toBeGreaterThan(previous.token);
        }
        // The window in which every worker was still competing: from the last first acquisition to the first last one.
        const firsts = results.map((_, w) => acquisitions.find((a) => a.worker === w)?.start ?? 0n);
        const lasts = results.map((_, w) => acquisitions.findLast((a) => a.worker === w)?.end ?? 0n);
        // biome-ignore lint/complexity/useMathMinMax: these are bigints, which Math.max cannot take
        const from = firsts.reduce((a, b) => (a > b ? a : b));
        // biome-ignore lint/complexity/useMathMinMax: these are bigints, which Math.max cannot take
        const to = lasts.reduce((a, b) => (a < b ? a : b));
        const inWindow = acquisitions.filter((a) => a.start >= from && a.end <= to);
        const perWorker = results.map((_, w) => inWindow.filter((a) => a.worker === w).length);
        const evenShare = inWindow.length / WORKERS;
        const seconds = Number(acquisitions.at(-1)!.end - acquisitions[0]!.start) / 1e9;
        const maxWait = Math.max(...acquisitions.map((a) => a.waitMs));
        console.log(
          `[conformance] ${target.name}: ${acquisitions.length} acquisitions by ${WORKERS} processes in ${seconds.toFixed(1)} s ` +
            `(${(acquisitions.length / seconds).toFixed(0)}/s), max wait ${maxWait.toFixed(0)} ms, ` +
            `shares while all competed: min ${Math.min(...perWorker)} max ${Math.max(...perWorker)} of ${inWindow.length}`,
        );
        if (inWindow.length >= WORKERS * 10) {
          for (const share of perWorker)
            expect(share, "a worker starved while others cycled").toBeGreaterThanOrEqual(
              Math.floor(evenShare * FAIRNESS_FLOOR),
            );
        }
      } finally {
        killAll(workers);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 240_000);
  });
}
