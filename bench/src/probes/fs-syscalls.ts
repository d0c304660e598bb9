import { readFile } from "node:fs/promises";
import { ConfigError } from "@stowage/core";
import type { Probe } from "./probe.js";

/** Syscall counts per operation from an `strace -f` trace cut by fs-op-cost's --mark markers. */
export function syscallsPerOp(trace: string, n: number): Map<string, Map<string, number>> {
  const counts = new Map<string, Map<string, number>>();
  let op: string | undefined;
  for (const line of trace.split("\n")) {
    const marker = /__mark__\/([a-z_]+)/.exec(line);
    if (marker) {
      op = marker[1];
      continue;
    }
    const call = /^\d+ +([a-z_0-9]+)\(/.exec(line);
    if (op === undefined || !call) continue;
    const perOp = counts.get(op) ?? new Map<string, number>();
    counts.set(op, perOp);
    for (const name of [call[1] as string, "TOTAL"]) perOp.set(name, (perOp.get(name) ?? 0) + 1 / n);
  }
  return counts;
}

/**
 * Reads a trace of `STOWAGE_MARK`ed fs-op-cost and prints syscalls per operation (event-loop
 * futex/epoll noise included, so an upper bound):
 *   strace -f -o /tmp/t node bench/dist/cli.js --probe fs-op-cost --mark --n 200 --rounds 1
 *   npm run bench -- --probe fs-syscalls --trace /tmp/t --n 200
 */
export const fsSyscalls: Probe = {
  name: "fs-syscalls",
  summary: "syscalls per fs operation, from an strace of fs-op-cost --mark (--trace <file>)",
  defaults: { n: 200, rounds: 1 },
  async run({ n, flags }, print) {
    if (flags.trace === undefined) throw new ConfigError("--trace", "fs-syscalls needs --trace <strace output file>");
    for (const [op, perOp] of [...syscallsPerOp(await readFile(flags.trace, "utf8"), n)].sort()) {
      for (const [call, count] of [...perOp].sort()) {
        if (count >= 0.05 || call === "TOTAL")
          print(`${op.padEnd(16)} ${call.padEnd(14)} ${count.toFixed(2).padStart(6)}`);
      }
    }
  },
};
