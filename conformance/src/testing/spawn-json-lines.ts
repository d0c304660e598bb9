import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** One line a child printed: its JSON, or `{ text }` for a line that is not JSON. */
export type JsonLine = Record<string, unknown>;

/** A node child process and the JSON lines it has printed on stdout. */
export interface JsonLinesChild {
  child: ChildProcess;
  /** Every line printed and not yet taken. */
  messages: JsonLine[];
  /** Resolves with the first line (already printed or still to come) that matches; leaves it in `messages`. */
  waitFor<T = JsonLine>(match: (message: JsonLine) => boolean, timeoutMs?: number): Promise<T>;
  /** Like waitFor, but removes the line, so the next call sees the next matching one. */
  take<T = JsonLine>(match: (message: JsonLine) => boolean, timeoutMs?: number): Promise<T>;
  /** Writes one line to the child's stdin. */
  send(line: string): void;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Starts `node script ...args` with stdin piped and stderr inherited, collecting its stdout as JSON lines. */
export function spawnJsonLines(
  script: string,
  args: readonly string[] = [],
  options: { env?: NodeJS.ProcessEnv; label?: string } = {},
): JsonLinesChild {
  const label = options.label ?? script;
  const child = spawn(process.execPath, [script, ...args], {
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const messages: JsonLine[] = [];
  const listeners = new Set<() => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    try {
      messages.push(JSON.parse(line) as JsonLine);
    } catch {
      messages.push({ text: line });
    }
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const find = <T>(match: (message: JsonLine) => boolean, remove: boolean, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const index = messages.findIndex(match);
        if (index === -1) return false;
        const found = remove ? messages.splice(index, 1)[0] : messages[index];
        cleanup();
        resolve(found as T);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${label} printed no matching line within ${timeoutMs} ms (last lines ${JSON.stringify(messages.slice(-3))})`,
          ),
        );
      }, timeoutMs);
      // Lines still in the pipe arrive after 'exit'; give them a moment before giving up.
      const onExit = (code: number | null) => {
        setTimeout(() => {
          if (check()) return;
          cleanup();
          reject(new Error(`${label} exited with ${code} before printing a matching line`));
        }, 50);
      };
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off("exit", onExit);
      };
      listeners.add(check);
      child.once("exit", onExit);
      check();
    });

  return {
    child,
    messages,
    exited,
    send: (line) => child.stdin?.write(`${line}\n`),
    waitFor: (match, timeoutMs = 60_000) => find(match, false, timeoutMs),
    take: (match, timeoutMs = 60_000) => find(match, true, timeoutMs),
  };
}
