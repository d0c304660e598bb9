import { ConfigError, type Interrupt, Interrupted, type LockDriver } from "@stowage/core";

export interface FenceCounts {
  /** Counters the target had below the source's and were raised to it. */
  raised: number;
  /** Counters already at or above the source's on the target. */
  unchanged: number;
  /** Counters the target could not raise now (file, sqlite: the name is held and its token is the counter); a re-run retries them. */
  held: string[];
}

/** Refuses, before anything is copied, a pair of backends whose fencing counters cannot be carried over. */
export function assertFencesMovable(from: LockDriver, to: LockDriver, fromUrl: string, toUrl: string): void {
  if (!from.fencingCounters) {
    throw new ConfigError(
      "--from",
      `${fromUrl} cannot list its fencing counters; add --only cache,checkpoint to skip locks`,
    );
  }
  if (!to.raiseFence) {
    throw new ConfigError(
      "--to",
      `${toUrl} cannot raise its fencing counters; add --only cache,checkpoint to skip locks`,
    );
  }
}

/**
 * Moves every fencing counter of the target to at least the source's, so a token handed out
 * after the switch is greater than every token handed out before it, whichever way the move
 * goes (Redis tokens start near the clock in µs, a local backend's at 1). Never lowers one.
 */
export async function copyFences(
  from: LockDriver,
  to: LockDriver,
  options: { dryRun: boolean; interrupt: Interrupt },
): Promise<FenceCounts> {
  const counts: FenceCounts = { raised: 0, unchanged: 0, held: [] };
  for await (const { name, token } of from.fencingCounters?.() ?? []) {
    if (options.interrupt.requested) throw new Interrupted();
    if (options.dryRun) {
      counts.raised++;
      continue;
    }
    const after = await to.raiseFence?.(name, token);
    if (after === undefined) counts.held.push(name);
    else if (after > token) counts.unchanged++;
    else counts.raised++;
  }
  return counts;
}
