/**
 * What a hybrid cache tells the other instances: these keys changed (or, with `clear`, every
 * key of the namespace did). Never values: a message only makes an L1 drop entries.
 */
export interface BusMessage {
  /** The sending instance; an instance ignores its own messages. */
  source: string;
  /** The sender's sequence number: (source, seq) is the message's version. */
  seq: number;
  /** The cache namespace the keys belong to. */
  namespace: string;
  /** The changed keys; empty when `clear` is true. */
  keys: string[];
  /** Every key of the namespace changed (clear()). */
  clear?: boolean;
}

/**
 * The invalidation channel between hybrid cache instances. Delivery is at most once: an
 * instance that was disconnected may have missed messages, so `onReconnect` makes it empty its L1.
 */
export interface CacheBus {
  /** True while messages are being received. */
  readonly connected: boolean;
  /** Sends the message to every other subscriber; rejects with ERR_BACKEND_UNAVAILABLE when it cannot. */
  publish(message: BusMessage): Promise<void>;
  /** Calls `handler` for every message received; returns a function that stops it. */
  subscribe(handler: (message: BusMessage) => void): () => void;
  /** Calls `handler` whenever the bus connects again after losing its connection (messages may have been lost). */
  onReconnect(handler: () => void): () => void;
  /** Calls `handler` when the bus loses its connection. */
  onDisconnect(handler: () => void): () => void;
  /** Stops receiving and releases connections. */
  close(): Promise<void>;
}

/** Parses a message received as text; undefined when it is not one (foreign publishers on the channel). */
export function parseBusMessage(text: string): BusMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const m = parsed as Record<string, unknown>;
  if (typeof m.source !== "string" || typeof m.seq !== "number" || typeof m.namespace !== "string") return undefined;
  if (!Array.isArray(m.keys) || !m.keys.every((key) => typeof key === "string")) return undefined;
  return {
    source: m.source,
    seq: m.seq,
    namespace: m.namespace,
    keys: m.keys as string[],
    ...(m.clear === true ? { clear: true } : {}),
  };
}
