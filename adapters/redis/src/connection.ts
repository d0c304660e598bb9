import type { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { primaries, type RedisClient } from "./client.js";

type WriteArgs = [chunk: unknown, encoding?: unknown, callback?: unknown];

/** ioredis's queue of commands written and waiting for their replies (a Denque), oldest first. */
interface WaitingCommands {
  readonly length: number;
  peekFront(): { command: { reject(error: Error): void } } | undefined;
  toArray(): { command: { reject(error: Error): void } }[];
}

/** One socket's writes of the current turn: plain strings joined into one, anything else kept in order. */
interface Batch {
  readonly stream: Writable;
  text: string;
  /** Writes that came with an encoding, a callback or a Buffer, and every write after the first such one. */
  calls: WriteArgs[] | undefined;
}

/**
 * The one client a deployment's stores share, with our own auto-pipelining: the first command of
 * an event-loop turn makes each socket collect what ioredis writes to it, and when the turn's
 * microtasks have run (process.nextTick) each socket gets it in one write. One caller at a time
 * pays one nextTick and no delay; 64 callers share one write and one round trip.
 *
 * The turn's command strings are joined into one string (as ioredis's own pipelines do) instead of
 * corking the socket: a corked socket keeps one buffered request per command and hands them to
 * writev as 64 separate chunks, which cost about 1.5 µs more per command (adapters/redis/bench/
 * concurrency.mjs, raw-cork vs raw-collect). A turn that carries Buffers (values that are not small
 * UTF-8 text) is written corked instead, so large values are not copied once more.
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
  /** The sockets collecting the current turn's writes; undefined when no turn is being collected. */
  #batches: Batch[] | undefined;
  readonly #flush = () => {
    const batches = this.#batches ?? [];
    this.#batches = undefined;
    for (const batch of batches) flush(batch);
  };

  #watchdog: NodeJS.Timeout | undefined;

  /**
   * With `watchdogMs`, the client must have been made without ioredis's per-command timer
   * (primaryClient's perCommandTimer: false, standalone or Sentinel): this connection bounds its
   * commands instead (see #watch).
   */
  constructor(client: RedisClient, pipelining: boolean, watchdogMs?: number) {
    this.client = client;
    this.#pipelining = pipelining;
    if (watchdogMs !== undefined) this.#watch(watchdogMs);
  }

  /**
   * One timer per connection instead of one per command (which cost 2-8% of a command's client
   * CPU one at a time: concurrency.mjs --c 1, raw vs raw-timeout). Every tick it looks at the
   * oldest command still waiting for its reply; when that same command has been first in line for
   * `timeoutMs`, the server has answered nothing in that time, and every waiting command is
   * rejected as ioredis's own timeout would ("Command timed out", left in the queue so later
   * replies still line up). A command sent to a server that hangs thus fails within timeoutMs plus
   * two ticks (an eighth of it each). A server that keeps answering, however slowly, times nothing out.
   */
  #watch(timeoutMs: number): void {
    const tick = Math.max(5, Math.floor(timeoutMs / 8));
    let head: unknown;
    let since = 0;
    this.#watchdog = setInterval(() => {
      const queue = (this.client as unknown as { commandQueue?: WaitingCommands }).commandQueue;
      const first = queue && queue.length > 0 ? queue.peekFront()?.command : undefined;
      const now = performance.now();
      if (first !== head) {
        head = first;
        since = now;
        return;
      }
      if (first === undefined || queue === undefined || now - since < timeoutMs) return;
      for (const { command } of queue.toArray()) command.reject(new Error("Command timed out"));
      head = undefined;
    }, tick);
    this.#watchdog.unref();
  }

  /** Stops the watchdog (after the client has quit). */
  close(): void {
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  /** Runs `operation` on the client; with pipelining on, its commands share this turn's write. */
  use<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.#pipelining && this.#batches === undefined) this.#collect();
    return operation(this.client);
  }

  #collect(): void {
    const batches: Batch[] = [];
    for (const node of primaries(this.client)) {
      const stream = node.stream as Writable | undefined;
      // A stream with its own write (someone else wraps it) is left alone: its commands go out unbatched.
      if (!stream?.writable || Object.hasOwn(stream, "write")) continue;
      const batch: Batch = { stream, text: "", calls: undefined };
      stream.write = ((...args: WriteArgs) => {
        if (batch.calls === undefined && args.length === 1 && typeof args[0] === "string") batch.text += args[0];
        else if (batch.calls === undefined) batch.calls = [args];
        else batch.calls.push(args);
        return true;
      }) as Writable["write"];
      batches.push(batch);
    }
    this.#batches = batches;
    process.nextTick(this.#flush);
  }

  /** Where SCAN must run to see every key: each primary of a Cluster, or the one server. */
  primaries(): Redis[] {
    return primaries(this.client);
  }
}

/** Gives the socket back its own write and sends what the turn collected, in the order it came. */
function flush({ stream, text, calls }: Batch): void {
  delete (stream as { write?: unknown }).write;
  // A socket that closed meanwhile: ioredis rejects the commands it was given when the close arrives.
  if (!stream.writable) return;
  if (calls === undefined) {
    if (text !== "") stream.write(text);
    return;
  }
  stream.cork();
  if (text !== "") stream.write(text);
  for (const args of calls) (stream.write as (...args: WriteArgs) => boolean).apply(stream, args);
  stream.uncork();
}
