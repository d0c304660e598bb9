import type { BusMessage, CacheBus } from "@stowage/core";
import { BackendUnavailableError, BusListeners } from "@stowage/core";

/**
 * A bus between hybrid caches of one process (tests, and several caches sharing one L2 in one
 * service). `connect()` gives each instance its own end; `disconnect`/`reconnect` on an end
 * simulate a lost connection, during which that end neither sends nor receives.
 */
export class InProcessBus {
  readonly #ends = new Set<InProcessBusEnd>();

  /** A new end of the bus, connected. */
  connect(): InProcessBusEnd {
    const end = new InProcessBusEnd(this.#ends);
    this.#ends.add(end);
    return end;
  }
}

/** One instance's end of an InProcessBus. */
export class InProcessBusEnd extends BusListeners implements CacheBus {
  readonly #ends: Set<InProcessBusEnd>;
  #connected = true;

  constructor(ends: Set<InProcessBusEnd>) {
    super();
    this.#ends = ends;
  }

  get connected(): boolean {
    return this.#connected;
  }

  async publish(message: BusMessage): Promise<void> {
    if (!this.#connected) throw new BackendUnavailableError("in-process bus: this end is disconnected");
    const text = JSON.stringify(message);
    // Delivered on a later tick, like a network bus: a sender never sees its effect synchronously.
    queueMicrotask(() => {
      for (const end of this.#ends) if (end !== this) end.#deliver(JSON.parse(text) as BusMessage);
    });
  }

  #deliver(message: BusMessage): void {
    if (!this.#connected) return;
    for (const handler of this.messageHandlers) handler(message);
  }

  /** Simulates losing the connection: messages sent meanwhile never arrive here. */
  disconnect(): void {
    if (!this.#connected) return;
    this.#connected = false;
    for (const handler of this.disconnectHandlers) handler();
  }

  /** Simulates the connection coming back. */
  reconnect(): void {
    if (this.#connected) return;
    this.#connected = true;
    for (const handler of this.reconnectHandlers) handler();
  }

  async close(): Promise<void> {
    this.#connected = false;
    this.messageHandlers.clear();
    this.#ends.delete(this);
  }
}
