import type { BusMessage, CacheBus } from "./bus.js";

/** Keeps one bus message under about 1 MiB even with the longest keys. */
const MAX_KEYS_PER_MESSAGE = 1_000;

/** What a hybrid cache does when the bus tells it something. */
export interface BusListener {
  /** Other instances changed these keys: drop them from L1 (called synchronously on arrival). */
  keysChanged(keys: string[]): Promise<void>;
  /** L1 can no longer be trusted as a whole (another instance cleared, or messages were lost). */
  l1Invalid(): void;
  /** The bus lost its connection: messages may be missed from now on. */
  disconnected(): void;
}

/**
 * One hybrid cache's end of the bus: sends its changes (keys of one event-loop turn in one
 * message, so concurrent writers cost one PUBLISH), applies other instances' changes, and
 * ignores its own.
 */
export class BusLink {
  readonly bus: CacheBus;
  sent = 0;
  received = 0;
  /** Messages that could not be sent (the write itself had succeeded). */
  sendErrors = 0;
  readonly #source: string;
  readonly #namespace: string;
  readonly #unsubscribe: (() => void)[];
  /** Keys whose L1 deletion is under way (a disk L1 deletes asynchronously): reads skip L1 for them. */
  readonly #dropping = new Map<string, number>();
  readonly #outgoing = new Set<string>();
  #outgoingSent: Promise<void> | undefined;
  #seq = 0;

  constructor(bus: CacheBus, source: string, namespace: string, listener: BusListener) {
    this.bus = bus;
    this.#source = source;
    this.#namespace = namespace;
    this.#unsubscribe = [
      bus.subscribe((message) => this.#received(message, listener)),
      bus.onReconnect(() => listener.l1Invalid()),
      bus.onDisconnect(() => listener.disconnected()),
    ];
  }

  get connected(): boolean {
    return this.bus.connected;
  }

  /** True while an L1 deletion of `key` that a message asked for has not finished. */
  isDropping(key: string): boolean {
    return this.#dropping.size > 0 && this.#dropping.has(key);
  }

  #received(message: BusMessage, listener: BusListener): void {
    if (message.source === this.#source || message.namespace !== this.#namespace) return;
    this.received++;
    if (message.clear) {
      listener.l1Invalid();
      return;
    }
    const { keys } = message;
    for (const key of keys) this.#dropping.set(key, (this.#dropping.get(key) ?? 0) + 1);
    void listener
      .keysChanged(keys)
      .catch(() => listener.l1Invalid())
      .finally(() => {
        for (const key of keys) {
          const left = (this.#dropping.get(key) ?? 1) - 1;
          if (left === 0) this.#dropping.delete(key);
          else this.#dropping.set(key, left);
        }
      });
  }

  /** Tells the other instances to drop `keys`; resolves once sent (or counted as failed, never rejects). */
  publish(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#outgoing.add(key);
    this.#outgoingSent ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        const batch = [...this.#outgoing];
        this.#outgoing.clear();
        this.#outgoingSent = undefined;
        const sends: Promise<void>[] = [];
        for (let i = 0; i < batch.length; i += MAX_KEYS_PER_MESSAGE)
          sends.push(this.#send(batch.slice(i, i + MAX_KEYS_PER_MESSAGE), false));
        void Promise.all(sends).then(() => resolve());
      });
    });
    return this.#outgoingSent;
  }

  /** Tells the other instances that every key of the namespace changed. */
  publishClear(): Promise<void> {
    return this.#send([], true);
  }

  async #send(keys: string[], clear: boolean): Promise<void> {
    const message: BusMessage = { source: this.#source, seq: ++this.#seq, namespace: this.#namespace, keys };
    if (clear) message.clear = true;
    try {
      await this.bus.publish(message);
      this.sent++;
    } catch {
      this.sendErrors++;
    }
  }

  /** Sends what is pending, then stops listening (the bus itself belongs to whoever opened it). */
  async close(): Promise<void> {
    await this.#outgoingSent;
    for (const stop of this.#unsubscribe.splice(0)) stop();
  }
}
