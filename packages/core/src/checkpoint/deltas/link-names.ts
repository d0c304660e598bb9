/**
 * How a channel's delta chain is named in a stored checkpoint's channel map, so that every backend
 * finds (and prune keeps) each record of a chain as an ordinary blob the checkpoint names:
 * - the chain's root snapshot, and every plain blob, under the channel's own name;
 * - the record at depth n >= 1 under `MARK n MARK channel`.
 * A user channel whose name begins with MARK is stored with MARK doubled, so no user name meets a link.
 */
const MARK = "\uFDD0";
const MARK_CODE = 0xfdd0;

/** The stored name of a user channel (its root record, or its only blob). */
export function storedName(channel: string): string {
  return channel.charCodeAt(0) === MARK_CODE ? MARK + channel : channel;
}

/** The stored name of the record at `depth` (>= 1) of a channel's chain. */
export function linkName(channel: string, depth: number): string {
  return `${MARK}${depth}${MARK}${channel}`;
}

/** True when some stored name may be a link or an escaped name (the common map has none). */
export function hasMarkedNames(channels: Record<string, unknown>): boolean {
  for (const name in channels) if (name.charCodeAt(0) === MARK_CODE) return true;
  return false;
}

/** The user channel and depth of a stored name (depth 0: a root or plain blob). */
export function parseStoredName(name: string): { channel: string; depth: number } {
  if (name.charCodeAt(0) !== MARK_CODE) return { channel: name, depth: 0 };
  if (name.charCodeAt(1) === MARK_CODE) return { channel: name.slice(1), depth: 0 };
  const end = name.indexOf(MARK, 1);
  const digits = end > 1 ? name.slice(1, end) : "";
  // A name from before links existed that only looks marked stays the channel it was.
  if (!/^[1-9]\d{0,8}$/.test(digits)) return { channel: name, depth: 0 };
  return { channel: name.slice(end + 1), depth: Number(digits) };
}
