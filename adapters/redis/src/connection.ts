import type { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { primaries, type RedisClient } from "./client.js";

/**
 * The one client a deployment's stores share, with our own auto-pipelining: the first command of
 * an event-loop turn corks the sockets, and they are uncorked when the turn's microtasks have run
 * (process.nextTick), so every command issued in that burst leaves in one write. One caller at a
 * time pays one cork/uncork and no delay; 64 callers share one write and one round trip.
 *
 * Why not ioredis's enableAutoPipelining: it allows one pipeline in flight per connection, so a
 * command issued while a pipeline is out waits a whole round trip, and it builds a Pipeline per
 * batch (about half the speed of plain commands one at a time). The earlier design sent a burst's
 * first command on a second, plain connection; its early reply then went out as a pipeline of one
 * that the other 63 commands queued behind: two round trips per burst (0.6x of ioredis at c=64).
 */
export class RedisConnection {
  readonly client: RedisClient;
  readonly #pipelining: boolean;
  /** The sockets corked for the current turn; undefined when none is. */
  #corked: Writable[] | undefined;
  readonly #uncork = () => {
    const streams = this.#corked ?? [];
    this.#corked = undefined;
    for (const stream of streams) stream.uncork();
  };

  constructor(client: RedisClient, pipelining: boolean) {
    this.client = client;
    this.#pipelining = pipelining;
  }

  /** Runs `operation` on the client; with pipelining on, its commands share this turn's write. */
  use<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.#pipelining && this.#corked === undefined) this.#cork();
    return operation(this.client);
  }

  #cork(): void {
    const streams: Writable[] = [];
    for (const node of primaries(this.client)) {
      const stream = node.stream as Writable | undefined;
      if (stream?.writable) {
        stream.cork();
        streams.push(stream);
      }
    }
    this.#corked = streams;
    process.nextTick(this.#uncork);
  }

  /** Where SCAN must run to see every key: each primary of a Cluster, or the one server. */
  primaries(): Redis[] {
    return primaries(this.client);
  }
}
