import type { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { primaries, type RedisClient } from "./client.js";
import { watchCommands } from "./command-watchdog.js";
import { SocketBatch } from "./socket-batcher.js";

/**
 * The one client a deployment's stores share, with our own auto-pipelining: the first command of
 * an event-loop turn makes each socket collect what ioredis writes to it (SocketBatch), and when
 * the turn's microtasks have run (process.nextTick) each socket gets it in one write. One caller
 * at a time pays one nextTick and no delay; 64 callers share one write and one round trip.
 *
 * Why not ioredis's enableAutoPipelining: it allows one pipeline in flight per connection, so a
 * command issued while a pipeline is out waits a whole round trip, and it builds a Pipeline per
 * batch (about half the speed of plain commands one at a time). Figures: BENCHMARKS.md, redis sweep.
 */
export class RedisConnection {
  readonly client: RedisClient;
  readonly #pipelining: boolean;
  /** The sockets collecting the current turn's writes; undefined when no turn is being collected. */
  #batches: SocketBatch[] | undefined;
  readonly #flush = () => {
    const batches = this.#batches ?? [];
    this.#batches = undefined;
    for (const batch of batches) batch.flush();
  };
  #stopWatchdog: (() => void) | undefined;

  /**
   * With `watchdogMs`, the client must have been made without ioredis's per-command timer
   * (primaryClient's perCommandTimer: false, standalone or Sentinel): this connection bounds its
   * commands instead (command-watchdog.ts).
   */
  constructor(client: RedisClient, pipelining: boolean, watchdogMs?: number) {
    this.client = client;
    this.#pipelining = pipelining;
    if (watchdogMs !== undefined) this.#stopWatchdog = watchCommands(client, watchdogMs);
  }

  /** Stops the watchdog (after the client has quit). */
  close(): void {
    this.#stopWatchdog?.();
    this.#stopWatchdog = undefined;
  }

  /** Runs `operation` on the client; with pipelining on, its commands share this turn's write. */
  use<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.#pipelining && this.#batches === undefined) this.#collect();
    return operation(this.client);
  }

  #collect(): void {
    const batches: SocketBatch[] = [];
    for (const node of primaries(this.client)) {
      const batch = SocketBatch.collect(node.stream as Writable | undefined);
      if (batch) batches.push(batch);
    }
    this.#batches = batches;
    process.nextTick(this.#flush);
  }

  /** Where SCAN must run to see every key: each primary of a Cluster, or the one server. */
  primaries(): Redis[] {
    return primaries(this.client);
  }
}
