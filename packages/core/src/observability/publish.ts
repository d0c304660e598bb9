import {
  type BusReconnectMessage,
  type CacheHitMessage,
  type CacheMissMessage,
  type CacheWriteMessage,
  events,
} from "./channels.js";

// Each publisher checks for a subscriber before the caller's message is used: callers that build
// a message only when one is wanted pass a function.
type Message<T> = T | (() => T);
const resolve = <T>(message: Message<T>): T => (typeof message === "function" ? (message as () => T)() : message);

/** A cache read answered; the two-tier cache gives the tier and whether the value was stale. */
export function publishCacheHit(message: Message<CacheHitMessage>): void {
  if (events.cacheHit.hasSubscribers) events.cacheHit.publish(resolve(message));
}

/** A cache read found nothing (in the given tier, for the two-tier cache). */
export function publishCacheMiss(message: Message<CacheMissMessage>): void {
  if (events.cacheMiss.hasSubscribers) events.cacheMiss.publish(resolve(message));
}

export function publishCacheSet(message: Message<CacheWriteMessage>): void {
  if (events.cacheSet.hasSubscribers) events.cacheSet.publish(resolve(message));
}

export function publishCacheDelete(message: Message<CacheWriteMessage>): void {
  if (events.cacheDelete.hasSubscribers) events.cacheDelete.publish(resolve(message));
}

/** The two-tier cache's bus reconnected (its L1 was cleared or resynchronised). */
export function publishBusReconnect(message: Message<BusReconnectMessage>): void {
  if (events.busReconnect.hasSubscribers) events.busReconnect.publish(resolve(message));
}
