import type { Redis } from "ioredis";
import { primaries, type RedisClient } from "./client.js";

/**
 * Two clients on one deployment. A command issued while nothing else is in flight goes out at
 * once on `direct`; commands issued while others are in flight go on `batched`, which
 * auto-pipelines them into one write. ioredis's auto-pipelining alone costs a pipeline per
 * command when callers go one at a time (the bench showed about half the sequential speed).
 */
export class RedisConnection {
  readonly direct: RedisClient;
  readonly batched: RedisClient;
  #inFlight = 0;

  constructor(direct: RedisClient, batched: RedisClient) {
    this.direct = direct;
    this.batched = batched;
  }

  /** Runs `operation` on the client that suits the current load; `batch` asks for the pipelined one. */
  async use<T>(operation: (client: RedisClient) => Promise<T>, batch = false): Promise<T> {
    const client = batch || this.#inFlight > 0 ? this.batched : this.direct;
    this.#inFlight++;
    try {
      return await operation(client);
    } finally {
      this.#inFlight--;
    }
  }

  /** Where SCAN must run to see every key: each primary of a Cluster, or the one server. */
  primaries(): Redis[] {
    return primaries(this.direct);
  }

  clients(): RedisClient[] {
    return this.direct === this.batched ? [this.direct] : [this.direct, this.batched];
  }
}
