import { randomBytes } from "node:crypto";
import { sleepUntilWoken, WakeListeners, type WakeSource } from "@stowage/core";
import type { RedisClient } from "./client.js";

/** The bytes of a lease key as the subscriber receives them (latin1 keeps any UTF-8 exact). */
export const wakeKey = (leaseKey: string): string => Buffer.from(leaseKey).toString("latin1");

/**
 * The wake-ups of one store-open's lock waiters. The store-open has one random waiter address;
 * its place in a name's queue is that address, and a release that finds it at the head PUBLISHes
 * the lease key to `<prefix>:w:<address>`. One subscriber connection per server (one for
 * standalone, Sentinel and Cluster, one per primary for redlock) listens on that channel for every
 * lock namespace of the store and wakes the call waiting for the named key. Created on the first
 * wait, closed with the store; ioredis subscribes again after a reconnect. A message lost meanwhile
 * costs the waiter one poll (its waitForRelease times out and it tries again).
 *
 * Why not the hybrid bus's subscriber: the bus is opened by the hybrid adapter beside the L2
 * backend (packages/hybrid), and neither knows the other; sharing it would need the backend to
 * accept a bus (or a process-wide registry of connections), a change outside this adapter.
 */
export class LockWakes {
  readonly address = randomBytes(12).toString("base64url");
  readonly channelPrefix: string;
  readonly channel: string;
  /** '1' when a PUBLISH that reached nobody proves the waiter gone (one server); '0' on Cluster. */
  readonly dropSilent: "0" | "1";
  readonly #makeClients: () => RedisClient[];
  readonly #firstWaitMs: number;
  #clients: RedisClient[] | undefined;
  #started: Promise<void> | undefined;
  #settled = false;
  #closed = false;
  readonly #listeners = new WakeListeners();
  /** Keys woken while nobody listened (the wake raced the attempt's reply): the next wait returns at once. */
  readonly #missed = new Set<string>();

  constructor(options: {
    prefix: string;
    cluster: boolean;
    makeClients: () => RedisClient[];
    /** How long the first wait may wait for the subscription (then it polls while it comes up). */
    firstWaitMs: number;
  }) {
    this.channelPrefix = `${options.prefix.replaceAll(":", "::")}:w:`;
    this.channel = `${this.channelPrefix}${this.address}`;
    this.dropSilent = options.cluster ? "0" : "1";
    this.#makeClients = options.makeClients;
    this.#firstWaitMs = options.firstWaitMs;
  }

  /** True once a wait has started the subscriber. */
  get started(): boolean {
    return this.#started !== undefined;
  }

  /**
   * Undefined once the subscriber has been started and given its first chance; before that, the
   * promise to await before taking a place (a release's PUBLISH that finds no subscriber would drop it).
   */
  ready(): Promise<void> | undefined {
    if (this.#settled || this.#closed) return undefined;
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const clients = this.#makeClients();
    this.#clients = clients;
    for (const client of clients) {
      client.on("messageBuffer", (channel: Buffer, message: Buffer) => {
        if (channel.toString() === this.channel) this.#dispatch(message.toString("latin1"));
      });
    }
    const attached = clients.map((client) => this.#attach(client));
    // One subscribed server is enough to start (redlock: any primary's release wakes); the rest follow.
    let timer: NodeJS.Timeout | undefined;
    const givenUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#firstWaitMs);
    });
    await Promise.race([Promise.any(attached).catch(() => {}), givenUp]);
    clearTimeout(timer);
    this.#settled = true;
  }

  /** Connects and subscribes, retrying until it has or the store closes; ioredis keeps it subscribed after. */
  async #attach(client: RedisClient): Promise<void> {
    client.connect().catch(() => {});
    while (!this.#closed) {
      if (client.status === "ready") {
        try {
          await client.subscribe(this.channel);
          return;
        } catch (error) {
          // An ACL without the channel refuses for good: waiters poll (the release's PUBLISH is a pcall).
          if (/NOPERM/.test((error as Error).message)) throw error;
          // Dropped again: try again shortly.
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 500);
        timer.unref();
        function done() {
          clearTimeout(timer);
          client.off("ready", done);
          resolve();
        }
        client.once("ready", done);
      });
    }
    throw new Error("closed");
  }

  #dispatch(key: string): void {
    if (this.#listeners.wake(key)) return;
    if (this.#missed.size >= 1024) this.#missed.clear();
    this.#missed.add(key);
  }

  /**
   * A waiter's sleep between attempts: until `key` is woken or `timeoutMs`, but never longer than
   * half of `placeMs`, so the next attempt refreshes the place before it lapses whatever the
   * caller's retryDelayMs (core's pause is 0.5-1.5 x retryDelayMs). Always true: try now.
   */
  async wait(key: string, timeoutMs: number, placeMs: number, signal?: AbortSignal): Promise<true> {
    if (this.takeMissed(key)) return true;
    await sleepUntilWoken(Math.max(1, Math.min(timeoutMs, Math.floor(placeMs / 2))), signal, this.source(key));
    return true;
  }

  /** True (once) when `key` was woken while nobody listened. */
  takeMissed(key: string): boolean {
    return this.#missed.delete(key);
  }

  /** The wake source of `key` for sleepUntilWoken. */
  source(key: string): WakeSource {
    return this.#listeners.source(key);
  }

  close(): void {
    this.#closed = true;
    for (const client of this.#clients ?? []) client.disconnect();
    this.#clients = undefined;
  }
}
