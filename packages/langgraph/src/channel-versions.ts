import { randomBytes } from "node:crypto";

/** Digits of a string version's counter, so that string order is counter order. */
const COUNTER_DIGITS = 20;

/** 20 random decimal digits (64 bits): two branches never mint the same version. */
function randomDigits(): string {
  return randomBytes(8).readBigUInt64BE().toString().padStart(20, "0");
}

/**
 * The next version of a channel, unique across the branches of a thread (blobs are stored once
 * per version, so two forks of one checkpoint must never mint the same one) and greater than
 * `current`, in the order LangGraph compares versions:
 *
 * - a thread the saver started (`current` a string, or none): `"<counter, 20 digits>.<20 random
 *   digits>"`, e.g. `"00000000000000000003.08395720049513729184"`. Fixed widths make string order
 *   counter order; the text is also a decimal number, so `>` against a number still orders it.
 * - a thread with integer versions from before (`current` a number): `floor(current) + 1 + r`,
 *   `r` a random multiple of 2^-33 in (0, 0.5]. Such a thread keeps number versions: LangGraph's
 *   maxChannelVersion compares a number with a string by localeCompare, where "7" beats
 *   "00000000000000000008.…", so mixing the two in one thread would mint versions out of order.
 */
export function nextChannelVersion(current: string | number | undefined): string | number {
  if (typeof current === "number") {
    const fraction = (randomBytes(4).readUInt32BE() + 1) / 2 ** 33;
    return Math.floor(current) + 1 + fraction;
  }
  let counter = 0n;
  let width = COUNTER_DIGITS;
  if (current !== undefined) {
    const digits = /^(\d+)(?:\.|$)/.exec(current)?.[1];
    if (digits === undefined) {
      throw new Error(`cannot continue channel version ${JSON.stringify(current)}: not "<counter>.<suffix>"`);
    }
    counter = BigInt(digits);
    // A longer counter (another saver's format) keeps its width, so the order still holds.
    width = Math.max(width, digits.length);
  }
  return `${(counter + 1n).toString().padStart(width, "0")}.${randomDigits()}`;
}
