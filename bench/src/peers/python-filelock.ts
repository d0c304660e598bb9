import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { CycleResult } from "../contention/cycle.js";
import { findPython } from "./python-diskcache.js";
import { scratchDir } from "./temp-dir.js";

// Beside seed_diskcache.py, two levels above both src/peers/ and dist/peers/.
const SCRIPT = fileURLToPath(new URL("../../python/contention_filelock.py", import.meta.url));

/** Runs `workers` Python processes cycling one filelock: each says ready, all start on one line of stdin. */
export async function runFilelockContention(options: {
  workers: number;
  durationMs: number;
  holdMs: number;
}): Promise<CycleResult[]> {
  const python = await findPython();
  const dir = await scratchDir("python-filelock");
  const args = [SCRIPT, "--lock-file", join(dir.path, "contention.lock"), "--duration", `${options.durationMs}`];
  const children = Array.from({ length: options.workers }, () =>
    spawn(python, [...args, "--hold-ms", `${options.holdMs}`], { stdio: ["pipe", "pipe", "inherit"] }),
  );
  try {
    const lines = children.map((child) => createInterface({ input: child.stdout })[Symbol.asyncIterator]());
    const nextLine = async (i: number) => {
      const { value, done } = await (lines[i] as AsyncIterator<string>).next();
      if (done) throw new Error(`a filelock contender exited early (code ${children[i]?.exitCode})`);
      return value as string;
    };
    await Promise.all(children.map((_, i) => nextLine(i)));
    for (const child of children) child.stdin.write("go\n");
    return await Promise.all(children.map(async (_, i) => JSON.parse(await nextLine(i)) as CycleResult));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await dir.remove();
  }
}
