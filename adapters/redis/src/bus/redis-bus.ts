import {
  type BackendOpenOptions,
  BackendUnavailableError,
  BusListeners,
  type BusMessage,
  type CacheBus,
  ConfigError,
  parseBusMessage,
  parseMultiHostUrl,
} from "@stowage/core";
import { Cluster, type Redis } from "ioredis";
import { connect, primaryClient, type RedisClient } from "../client.js";
import { parseRedisUrl, type RedisConnectionOptions } from "../options.js";

/** Where the bus runs and on which channel. */
export interface RedisBusOptions {
  connection: RedisConnectionOptions;
  /** The pub/sub channel (default `<prefix>:hybrid`); every namespace shares it, messages name theirs. */
  channel?: string;
}

/**
 * Invalidations over Redis pub/sub: one connection subscribed to one channel, one to publish.
 * Classic PUBLISH reaches the subscribers of every node of a Cluster (each node relays it on the
 * cluster bus), so one channel works on standalone, Sentinel and Cluster alike, on any Redis version.
 * Pub/sub delivers at most once: after the subscriber reconnects it resubscribes first and only
 * then tells its listeners, so that they empty L1 once nothing more can be missed.
 */
export class RedisBus extends BusListeners implements CacheBus {
  readonly channel: string;
  readonly #subscriber: RedisClient;
  readonly #publisher: RedisClient;
  #connected = false;
  #closed = false;
  #clusterWatch: NodeJS.Timeout | undefined;
  #clusterSubscriber: Redis | undefined;

  private constructor(subscriber: RedisClient, publisher: RedisClient, channel: string) {
    super();
    this.#subscriber = subscriber;
    this.#publisher = publisher;
    this.channel = channel;
  }

  /** Connects both connections and subscribes; ERR_BACKEND_UNAVAILABLE within the connect timeout otherwise. */
  static async open(options: RedisBusOptions): Promise<RedisBus> {
    const { connection } = options;
    if (connection.topology === "redlock")
      throw new ConfigError(
        "bus",
        "redlock:// names independent primaries, for locks; a hybrid cache's L2 and bus need one deployment: " +
          "hybrid+redis://, hybrid+rediss://, hybrid+redis+cluster:// or hybrid+redis+sentinel://",
      );
    const channel = options.channel ?? `${connection.prefix}:hybrid`;
    // No ioredis auto-pipelining: one PUBLISH per ~1 ms gains nothing from it and would pay a Pipeline and a setImmediate each.
    const subscriber = primaryClient({ ...connection, autoPipelining: false });
    const publisher = primaryClient({ ...connection, autoPipelining: false });
    const bus = new RedisBus(subscriber, publisher, channel);
    try {
      await Promise.all([
        connect(subscriber, "hybrid bus subscriber", connection.connectTimeoutMs),
        connect(publisher, "hybrid bus publisher", connection.connectTimeoutMs),
      ]);
      await subscriber.subscribe(channel);
    } catch (error) {
      subscriber.disconnect();
      publisher.disconnect();
      throw error instanceof BackendUnavailableError
        ? error
        : new BackendUnavailableError(`hybrid bus: cannot subscribe: ${(error as Error).message}`, { cause: error });
    }
    bus.#listen();
    return bus;
  }

  #listen(): void {
    this.#connected = true;
    this.#subscriber.on("message", (channel: string, text: string) => {
      if (channel !== this.channel) return;
      const message = parseBusMessage(text);
      if (message) for (const handler of this.messageHandlers) handler(message);
    });
    this.#subscriber.on("close", () => {
      if (!this.#connected) return;
      this.#connected = false;
      for (const handler of this.disconnectHandlers) handler();
    });
    this.#subscriber.on("ready", () => void this.#resubscribed());
    if (this.#subscriber instanceof Cluster) this.#watchClusterSubscriber(this.#subscriber);
  }

  /**
   * A Cluster moves its subscriber connection to another node by itself (when the node's
   * connection ends) without any event on the Cluster object, and messages published meanwhile
   * are lost. ioredis exposes no event for it, so the bus watches which connection carries the
   * subscription (ioredis internals, checked defensively) and reports the move as a reconnect.
   */
  #watchClusterSubscriber(cluster: Cluster): void {
    type Internals = { subscriber?: { getInstance?: () => Redis | null; lastActiveSubscriber?: Redis } };
    const internals = (cluster as unknown as Internals).subscriber;
    if (typeof internals?.getInstance !== "function") return;
    this.#clusterSubscriber = internals.getInstance() ?? undefined;
    const lost = () => {
      if (!this.#connected) return;
      this.#connected = false;
      for (const handler of this.disconnectHandlers) handler();
    };
    this.#clusterSubscriber?.once("end", lost);
    this.#clusterWatch = setInterval(() => {
      const current = internals.getInstance?.() ?? undefined;
      if (current === this.#clusterSubscriber) return;
      lost();
      // The new connection counts once ioredis has resubscribed on it.
      if (!current || internals.lastActiveSubscriber !== current || current.status !== "ready") return;
      this.#clusterSubscriber = current;
      current.once("end", lost);
      void this.#resubscribed();
    }, 100);
    this.#clusterWatch.unref();
  }

  async #resubscribed(): Promise<void> {
    if (this.#closed || this.#connected) return;
    try {
      // ioredis resubscribes by itself, but says "ready" before the server confirms it.
      await this.#subscriber.subscribe(this.channel);
    } catch {
      // Dropped again (the next "ready" retries) or refused while connected: try again shortly.
      setTimeout(() => void this.#resubscribed(), 500).unref();
      return;
    }
    this.#connected = true;
    for (const handler of this.reconnectHandlers) handler();
  }

  get connected(): boolean {
    return this.#connected;
  }

  async publish(message: BusMessage): Promise<void> {
    if (this.#closed) throw new BackendUnavailableError("hybrid bus: closed");
    try {
      await this.#publisher.publish(this.channel, JSON.stringify(message));
    } catch (error) {
      throw new BackendUnavailableError(`hybrid bus: cannot publish: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connected = false;
    clearInterval(this.#clusterWatch);
    this.messageHandlers.clear();
    this.#subscriber.disconnect();
    this.#publisher.disconnect();
  }
}

/** Opens a bus on the deployment a Redis URL names (for `hybrid+redis://…` and for code that has a URL). */
export async function openBus(options: Pick<BackendOpenOptions, "url" | "params" | "options">): Promise<RedisBus> {
  const url = typeof options.url === "string" ? parseMultiHostUrl(options.url) : options.url;
  const { channel, ...rest } = options.options as { channel?: string };
  return RedisBus.open({
    connection: parseRedisUrl(url, options.params, rest),
    ...(typeof channel === "string" ? { channel } : {}),
  });
}
