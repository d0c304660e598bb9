import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** A node child running a fixture script, with its JSON lines collected. */
export interface Child {
  process: ChildProcess;
  messages: Record<string, unknown>[];
  /** Resolves with the first message (from `from` on) that matches. */
  next(match: (message: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(line: string): void;
  exited: Promise<number | null>;
}

export function startFixture(script: string, args: string[]): Child {
  const path = fileURLToPath(new URL(`./fixtures/${script}`, import.meta.url));
  const child = spawn(process.execPath, [path, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const messages: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    messages.push(JSON.parse(line) as Record<string, unknown>);
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    process: child,
    messages,
    exited,
    send: (line) => child.stdin?.write(`${line}\n`),
    next(match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const index = messages.findIndex(match);
          if (index === -1) return;
          const [found] = messages.splice(index, 1);
          done();
          resolve(found as Record<string, unknown>);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${script} printed no matching line within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}
