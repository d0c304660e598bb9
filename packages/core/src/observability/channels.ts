import diagnostics from "node:diagnostics_channel";

/** Tracing channels (start/end/asyncStart/asyncEnd/error): one per contract, every operation of its store. */
export const TRACE_CHANNELS = {
  cache: "stowage:cache:operation",
  lock: "stowage:lock:operation",
  checkpoint: "stowage:checkpoint:operation",
} as const;

/** Plain channels: one message per event, published only while someone subscribes. */
export const EVENT_CHANNELS = {
  cacheHit: "stowage:cache:hit",
  cacheMiss: "stowage:cache:miss",
  cacheSet: "stowage:cache:set",
  cacheDelete: "stowage:cache:delete",
  lockAcquired: "stowage:lock:acquired",
  lockReleased: "stowage:lock:released",
  lockLost: "stowage:lock:lost",
  lockWaited: "stowage:lock:waited",
  lockTimeout: "stowage:lock:timeout",
  checkpointPut: "stowage:checkpoint:put",
  checkpointDelete: "stowage:checkpoint:delete",
  backendUnavailable: "stowage:backend:unavailable",
  backendRecovered: "stowage:backend:recovered",
  busReconnect: "stowage:bus:reconnect",
} as const;

export type StoreKind = keyof typeof TRACE_CHANNELS;

/** The context of one traced operation; `error` or `result` is set when it settles. */
export interface OperationContext {
  store: StoreKind;
  operation: string;
  namespace: string;
  /** The key, lock name or thread id the call names, when its first argument is one. */
  target?: string;
  result?: unknown;
  error?: unknown;
}

/** Messages of the plain channels. */
export interface CacheHitMessage {
  namespace: string;
  key: string;
  /** Set by the two-tier cache: the tier that answered. */
  tier?: "l1" | "l2";
  /** Set by the two-tier cache: the value was past its fresh time (served while refreshed). */
  stale?: boolean;
}
export interface CacheMissMessage {
  namespace: string;
  key: string;
  tier?: "l1" | "l2";
}
export interface CacheWriteMessage {
  namespace: string;
  key: string;
}
export interface LockMessage {
  namespace: string;
  name: string;
  token?: bigint;
}
export interface LockWaitedMessage extends LockMessage {
  /** Milliseconds from the call to the grant or the timeout. */
  waitedMs: number;
}
export interface CheckpointMessage {
  namespace: string;
  threadId: string;
  ns?: string;
  id?: string;
}
export interface BackendMessage {
  store: StoreKind;
  namespace: string;
  /** The error that made the backend count as unavailable (unavailable only). */
  error?: unknown;
}
export interface BusReconnectMessage {
  namespace: string;
  /** The bus's own word for why (a dropped connection, a missed message gap). */
  reason?: string;
}

export const traces = {
  cache: diagnostics.tracingChannel<unknown, OperationContext>(TRACE_CHANNELS.cache),
  lock: diagnostics.tracingChannel<unknown, OperationContext>(TRACE_CHANNELS.lock),
  checkpoint: diagnostics.tracingChannel<unknown, OperationContext>(TRACE_CHANNELS.checkpoint),
};

type EventName = keyof typeof EVENT_CHANNELS;
export const events = Object.fromEntries(
  Object.entries(EVENT_CHANNELS).map(([name, channel]) => [name, diagnostics.channel(channel)]),
) as Record<EventName, diagnostics.Channel>;
