import { randomBytes } from "node:crypto";
import { wallNow } from "../clock.js";

let lastMs = 0;
let sequence = 0;

/**
 * A uuid6-style id (version 6 layout: time-high first) whose string order is creation order,
 * also for ids made in the same millisecond by this process.
 */
export function newCheckpointId(now = wallNow()): string {
  if (now <= lastMs) {
    sequence++;
    now = lastMs;
  } else {
    lastMs = now;
    sequence = 0;
  }
  // 100-ns intervals since the Gregorian epoch, as RFC 4122 time-based ids count.
  const ticks = (BigInt(now) + 12219292800000n) * 10000n + BigInt(sequence % 10000);
  const hex = ticks.toString(16).padStart(15, "0");
  const rand = randomBytes(8);
  rand[0] = ((rand[0] as number) & 0x3f) | 0x80;
  const tail = rand.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-6${hex.slice(12, 15)}-${tail.slice(0, 4)}-${tail.slice(4, 16)}`;
}
