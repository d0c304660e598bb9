import { type BusMessage, type CacheBus, publishBusReconnect } from "@stowage/core";

/** Keeps one bus message under about 1 MiB even with the longest keys. */
const MAX_KEYS_PER_MESSAGE = 1_000;
/** Beyond this many keys whose message could not be sent, the retry tells the others to drop everything instead. */
const MAX_OWED_KEYS = 10_000;
/** First and longest wait before sending again what could not be sent. */
const RETRY_MS = { first: 50, max: 2_000 } as const;

/** What a hybrid cache does when the bus tells it something. */
export interface BusListener {
  /**
   * Other instances changed these keys: drop them from L1 (called synchronously on arrival);
   * undefined when they are already gone (a memory L1), else a promise of their removal.
   */
  keysChanged(keys: string[]): Promise<void> | undefined;
  /** L1 can no longer be trusted as a whole (another instance cleared, or messages were lost). */
  l1Invalid(): void;
  /** The bus lost its connection: messages may be missed from now on. */
  disconnected(): void;
}

/**
 * One hybrid cache's end of the bus: sends its changes (keys changed within about a
 * millisecond share one message, so concurrent writers cost one PUBLISH), applies other
 * instances' changes, and ignores its own. A message that cannot be sent is owed, not dropped:
 * its keys are sent again until the bus takes them (the writes they announce are already in
 * L2, so another instance's L1 would otherwise keep the old value for good).
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
  /** Keys announced by messages that could not be sent; `clear` when a clear (or too many keys) is owed. */
  #owed = new Set<string>();
  #owedClear = false;
  #retry: NodeJS.Timeout | undefined;
  #retryMs: number = RETRY_MS.first;
  #closed = false;

  constructor(bus: CacheBus, source: string, namespace: string, listener: BusListener) {
    this.bus = bus;
    this.#source = source;
    this.#namespace = namespace;
    this.#unsubscribe = [
      bus.subscribe((message) => this.#received(message, listener)),
      bus.onReconnect(() => {
        publishBusReconnect({ namespace, reason: "reconnected" });
        listener.l1Invalid();
        this.#retryOwed();
      }),
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
    let removal: Promise<void> | undefined;
    try {
      removal = listener.keysChanged(keys);
    } catch {
      listener.l1Invalid();
      return;
    }
    if (removal === undefined) return;
    // Reads skip L1 for these keys until the removal is done (set after the call: nothing ran in between).
    for (const key of keys) this.#dropping.set(key, (this.#dropping.get(key) ?? 0) + 1);
    void removal
      .catch(() => listener.l1Invalid())
      .finally(() => {
        for (const key of keys) {
          const left = (this.#dropping.get(key) ?? 1) - 1;
          if (left === 0) this.#dropping.delete(key);
          else this.#dropping.set(key, left);
        }
      });
  }

  /** Tells the other instances to drop `keys`; resolves once sent (or owed for a retry, never rejects). */
  publish(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#outgoing.add(key);
    // A timer rather than setImmediate: a pending immediate makes the event loop poll without
    // waiting, so Redis replies are read in smaller pieces and every client of the process sends
    // smaller pipelines; with 32 concurrent getOrSet on new keys that halved throughput. The
    // timer also gathers more keys per message; it adds at most about 1 ms to the delay.
    this.#outgoingSent ??= new Promise<void>((resolve) => {
      setTimeout(() => {
        const batch = [...this.#outgoing];
        this.#outgoing.clear();
        this.#outgoingSent = undefined;
        void this.#sendKeys(batch).then(() => resolve());
      }, 0);
    });
    return this.#outgoingSent;
  }

  /** Tells the other instances that every key of the namespace changed. */
  publishClear(): Promise<void> {
    return this.#send([], true).then(() => undefined);
  }

  async #sendKeys(keys: string[]): Promise<void> {
    const sends: Promise<boolean>[] = [];
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_MESSAGE)
      sends.push(this.#send(keys.slice(i, i + MAX_KEYS_PER_MESSAGE), false));
    await Promise.all(sends);
  }

  /** Sends one message; on failure its keys (or the clear) are owed and a retry is scheduled. */
  async #send(keys: string[], clear: boolean): Promise<boolean> {
    const message: BusMessage = { source: this.#source, seq: ++this.#seq, namespace: this.#namespace, keys };
    if (clear) message.clear = true;
    try {
      await this.bus.publish(message);
      this.sent++;
      return true;
    } catch {
      this.sendErrors++;
      this.#owe(keys, clear);
      return false;
    }
  }

  #owe(keys: readonly string[], clear: boolean): void {
    if (this.#closed) return;
    if (clear || this.#owedClear || this.#owed.size + keys.length > MAX_OWED_KEYS) {
      this.#owedClear = true;
      this.#owed.clear();
    } else for (const key of keys) this.#owed.add(key);
    if (this.#retry === undefined) {
      this.#retry = setTimeout(() => this.#retryOwed(), this.#retryMs);
      this.#retry.unref();
      this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MS.max);
    }
  }

  /** Sends again what could not be sent (re-sending only makes other instances read L2 again). */
  #retryOwed(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    if (this.#closed || (!this.#owedClear && this.#owed.size === 0)) return;
    const clear = this.#owedClear;
    const keys = [...this.#owed];
    this.#owedClear = false;
    this.#owed = new Set();
    void (clear ? this.#send([], true) : this.#sendKeys(keys)).then(() => {
      if (this.#retry === undefined && !this.#owedClear && this.#owed.size === 0) this.#retryMs = RETRY_MS.first;
    });
  }

  /** Keys (or a clear) still owed to the other instances because the bus refused them. */
  get owed(): number {
    return this.#owedClear ? Number.POSITIVE_INFINITY : this.#owed.size;
  }

  /** Sends what is pending, then stops listening (the bus itself belongs to whoever opened it). */
  async close(): Promise<void> {
    await this.#outgoingSent;
    // One last attempt at what is owed; after that the other instances rely on their own TTLs.
    if (this.#owedClear || this.#owed.size > 0) {
      const clear = this.#owedClear;
      const keys = [...this.#owed];
      this.#closed = true;
      await (clear ? this.#send([], true) : this.#sendKeys(keys));
    }
    this.#closed = true;
    clearTimeout(this.#retry);
    for (const stop of this.#unsubscribe.splice(0)) stop();
  }
}
