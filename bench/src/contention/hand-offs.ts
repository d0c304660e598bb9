import { percentile } from "../stats.js";
import type { CycleResult } from "./cycle.js";

/** How well one lock passed between contenders: the contention row's columns. */
export interface HandOffs {
  acquisitionsPerSec: number;
  /** Time held ÷ wall time from the first grant to the last release. */
  utilisation: number;
  /** Free time between one release starting and the next grant, in ms. */
  freeGapP50Ms: number;
  freeGapP99Ms: number;
  /** The longest free gap: the stall a crashed contender caused, under --kill-one. */
  longestGapMs: number;
  minPerProcess: number;
  maxPerProcess: number;
  /** Holds that overlapped another: any above 0 means the lock failed to exclude. */
  overlaps: number;
}

/** Merges every contender's hold intervals on the shared clock and measures the gaps between them. */
export function handOffs(results: readonly CycleResult[]): HandOffs {
  const holds = results
    .flatMap((result) => result.heldFrom.map((from, i) => [from, result.heldUntil[i] as number] as const))
    .sort((a, b) => a[0] - b[0]);
  const counts = results.map((result) => result.acquisitions);
  let heldMs = 0;
  let overlaps = 0;
  const gaps: number[] = [];
  for (let i = 0; i < holds.length; i++) {
    const [from, until] = holds[i] as readonly [number, number];
    heldMs += until - from;
    if (i === 0) continue;
    const gap = from - (holds[i - 1] as readonly [number, number])[1];
    if (gap < 0) overlaps++;
    gaps.push(Math.max(0, gap));
  }
  gaps.sort((a, b) => a - b);
  const first = holds[0]?.[0] ?? 0;
  const last = Math.max(...holds.map((h) => h[1]));
  const wallMs = holds.length > 0 ? last - first : 0;
  return {
    acquisitionsPerSec: wallMs > 0 ? (holds.length * 1000) / wallMs : Number.NaN,
    utilisation: wallMs > 0 ? heldMs / wallMs : Number.NaN,
    freeGapP50Ms: percentile(gaps, 50),
    freeGapP99Ms: percentile(gaps, 99),
    longestGapMs: gaps.at(-1) ?? 0,
    minPerProcess: Math.min(...counts),
    maxPerProcess: Math.max(...counts),
    overlaps,
  };
}
