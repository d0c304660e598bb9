import type { RedisClient } from "./client.js";

/** ioredis's queue of commands written and waiting for their replies (a Denque), oldest first. Private to ioredis: ioredis-internals.test.ts fails when it changes. */
export interface WaitingCommands {
  readonly length: number;
  peekFront(): { command: { reject(error: Error): void } } | undefined;
  toArray(): { command: { reject(error: Error): void } }[];
}

/** The commands `client` has written and still waits on, read from ioredis's private field. */
export function waitingCommands(client: RedisClient): WaitingCommands | undefined {
  return (client as unknown as { commandQueue?: WaitingCommands }).commandQueue;
}

/**
 * One timer per connection instead of ioredis's one per command (which cost 2-8% of a command's
 * client CPU one at a time). Every tick it looks at the oldest command still waiting for its
 * reply; when that same command has been first in line for `timeoutMs`, the server has answered
 * nothing in that time, and every waiting command is rejected as ioredis's own timeout would
 * ("Command timed out", left in the queue so later replies still line up). A command sent to a
 * server that hangs thus fails within timeoutMs plus two ticks; a server that keeps answering,
 * however slowly, times nothing out. Returns the function that stops it.
 */
export function watchCommands(client: RedisClient, timeoutMs: number): () => void {
  const tick = Math.max(5, Math.floor(timeoutMs / 8));
  let head: unknown;
  let since = 0;
  const timer = setInterval(() => {
    const queue = waitingCommands(client);
    const first = queue && queue.length > 0 ? queue.peekFront()?.command : undefined;
    const now = performance.now();
    if (first !== head) {
      head = first;
      since = now;
      return;
    }
    if (first === undefined || queue === undefined || now - since < timeoutMs) return;
    for (const { command } of queue.toArray()) command.reject(new Error("Command timed out"));
    head = undefined;
  }, tick);
  timer.unref();
  return () => clearInterval(timer);
}
