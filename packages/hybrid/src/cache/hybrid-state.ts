import { type CacheDriver, isStowageError, monotonicNow } from "@stowage/core";
import type { CircuitBreaker } from "../breaker/circuit-breaker.js";
import type { BusLink } from "../bus/bus-link.js";
import type { L1Tier } from "../tiers/l1-tier.js";
import { FillGuard } from "./fill-guard.js";
import type { WriteBehindQueue } from "./write-behind.js";

export const isUnavailable = (error: unknown) => isStowageError(error, "ERR_BACKEND_UNAVAILABLE");

/** What the read path and the write path of one hybrid namespace share: the tiers, the bus, trust in L1, counters. */
export class HybridState {
  readonly namespace: string;
  readonly l1: L1Tier;
  readonly l2: CacheDriver;
  readonly guard = new FillGuard();
  readonly counters = {
    l1Hits: 0,
    l2Hits: 0,
    misses: 0,
    staleServes: 0,
    l1Clears: 0,
    writeBehindConflicts: 0,
    l2Errors: 0,
  };
  readonly #graceMs: number;
  breaker!: CircuitBreaker;
  link: BusLink | undefined;
  queue: WriteBehindQueue | undefined;
  /** True while a persistent L1 is being emptied at start-up: it is kept out of reads. */
  l1Emptying = false;
  /** Monotonic ms since L2 or the bus became unreachable; undefined while both answer. */
  #outageSince: number | undefined;

  constructor(namespace: string, l1: L1Tier, l2: CacheDriver, graceMs: number) {
    this.namespace = namespace;
    this.l1 = l1;
    this.l2 = l2;
    this.#graceMs = graceMs;
  }

  /** L1 answers alone only while invalidations arrive and L2 is believed up. */
  get l1Trusted(): boolean {
    return (this.link === undefined || this.link.connected) && this.breaker.closed && !this.l1Emptying;
  }

  outage(): void {
    this.#outageSince ??= monotonicNow();
  }

  withinGrace(): boolean {
    return this.#outageSince !== undefined && monotonicNow() - this.#outageSince <= this.#graceMs;
  }

  /** Runs an L2 call through the breaker, which reports to l2Answered / l2Failed when L2 (does not) answer. */
  runL2<T>(call: () => Promise<T>): Promise<T> {
    return this.breaker.run(call);
  }

  l2Answered(): void {
    if (this.link === undefined || this.link.connected) this.#outageSince = undefined;
    if (this.queue?.size) this.queue.schedule(0);
  }

  l2Failed(error: unknown): void {
    this.counters.l2Errors++;
    if (isUnavailable(error)) this.outage();
  }

  async emptyL1(counted: boolean): Promise<void> {
    this.guard.emptied();
    if (counted) this.counters.l1Clears++;
    await this.l1.driver.clear();
  }
}
