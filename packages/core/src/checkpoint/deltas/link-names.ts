import { randomBytes } from "node:crypto";

/**
 * How a channel's delta chain is named in a stored checkpoint's channel map, so that every backend
 * finds (and prune keeps) each record of a chain as an ordinary blob the checkpoint names:
 * - every plain blob, and the channel's version, under the channel's own name;
 * - each record of a chain (root included) under `MARK # <12 random base64url characters>` with
 *   version 0: about 20 bytes of map per record; the record itself says its channel and depth.
 * The first layout (still read, no longer written) kept the root under the channel's name and the
 * record at depth n >= 1 under `MARK n MARK channel` with the channel's version at that depth.
 * A user channel whose name begins with MARK is stored with MARK doubled, so no user name meets a link.
 */
const MARK = "\uFDD0";
const MARK_CODE = 0xfdd0;
const RECORD_NAME_LENGTH = 14;

/** The version every record name is stored with (the name alone is unique). */
export const RECORD_VERSION = 0;

let pool = Buffer.alloc(0);
let used = 0;

/** A new record name: 72 random bits (a fork's records never meet another branch's). */
export function newRecordName(): string {
  if (used + 9 > pool.byteLength) {
    pool = randomBytes(9 * 128);
    used = 0;
  }
  used += 9;
  return `${MARK}#${pool.toString("base64url", used - 9, used)}`;
}

/** True for a record name of the second layout (with its version, RECORD_VERSION). */
export function isRecordName(name: string, version: unknown): boolean {
  return (
    name.length === RECORD_NAME_LENGTH &&
    name.charCodeAt(0) === MARK_CODE &&
    name.charCodeAt(1) === 35 &&
    version === RECORD_VERSION
  );
}

/** The stored name of a user channel (its root record, or its only blob). */
export function storedName(channel: string): string {
  return channel.charCodeAt(0) === MARK_CODE ? MARK + channel : channel;
}

/** The stored name of the record at `depth` (>= 1) of a channel's chain, in the first layout. */
export function linkName(channel: string, depth: number): string {
  return `${MARK}${depth}${MARK}${channel}`;
}

/** True when some stored name may be a link or an escaped name (the common map has none). */
export function hasMarkedNames(channels: Record<string, unknown>): boolean {
  for (const name in channels) if (name.charCodeAt(0) === MARK_CODE) return true;
  return false;
}

/** The user channel and depth of a stored name of the first layout (depth 0: a root or plain blob). */
export function parseStoredName(name: string): { channel: string; depth: number } {
  if (name.charCodeAt(0) !== MARK_CODE) return { channel: name, depth: 0 };
  if (name.charCodeAt(1) === MARK_CODE) return { channel: name.slice(1), depth: 0 };
  const end = name.indexOf(MARK, 1);
  const digits = end > 1 ? name.slice(1, end) : "";
  // A name from before links existed that only looks marked stays the channel it was.
  if (!/^[1-9]\d{0,8}$/.test(digits)) return { channel: name, depth: 0 };
  return { channel: name.slice(end + 1), depth: Number(digits) };
}
