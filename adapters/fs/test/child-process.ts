import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { spawnJsonLines } from "@stowage/conformance/testing";

/** A node child running a fixture script, with its JSON lines collected. */
export interface Child {
  process: ChildProcess;
  messages: Record<string, unknown>[];
  /** Resolves with the first message that matches, and removes it (so the next call sees the next one). */
  next(match: (message: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(line: string): void;
  exited: Promise<number | null>;
}

export function startFixture(script: string, args: string[]): Child {
  const child = spawnJsonLines(fileURLToPath(new URL(`./fixtures/${script}`, import.meta.url)), args, {
    label: script,
  });
  return { ...child, process: child.child, next: (match, timeoutMs = 30_000) => child.take(match, timeoutMs) };
}
