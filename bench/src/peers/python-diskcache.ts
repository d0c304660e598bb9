import { execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { RunSummary } from "../stats.js";
import { type ExternalRow, type SeedServer, SkipError, type Subject } from "../subjects/subject.js";
import { runFilelockContention } from "./python-filelock.js";
import { scratchDir } from "./temp-dir.js";

const run = promisify(execFile);

// The script sits at bench/python/, two levels above both src/peers/ and dist/peers/.
const SCRIPT = fileURLToPath(new URL("../../python/seed_diskcache.py", import.meta.url));

/** The first Python that can import diskcache and filelock: STOWAGE_BENCH_PYTHON, python3, Debian's /usr/bin/python3. */
export async function findPython(): Promise<string> {
  const candidates = [process.env.STOWAGE_BENCH_PYTHON, "python3", "/usr/bin/python3"].filter(
    (candidate): candidate is string => Boolean(candidate),
  );
  const failures: string[] = [];
  for (const python of new Set(candidates)) {
    try {
      await run(python, ["-c", "import diskcache, filelock"], { timeout: 10_000 });
      return python;
    } catch (error) {
      const reason = String((error as { stderr?: string }).stderr ?? (error as Error).message)
        .trim()
        .split("\n")
        .pop();
      failures.push(`${python}: ${reason}`);
    }
  }
  throw new SkipError(
    `no Python with diskcache and filelock (${failures.join("; ")}); apt-get install python3-diskcache python3-filelock`,
  );
}

async function runSeed(
  options: { n: number; repeats: number; warmup: number },
  synchronous = 1,
): Promise<ExternalRow[]> {
  const python = await findPython();
  const dir = await scratchDir("python-diskcache");
  try {
    const args = [SCRIPT, "--n", `${options.n}`, "--repeats", `${options.repeats}`, "--warmup", `${options.warmup}`];
    args.push("--sqlite-synchronous", `${synchronous}`);
    const { stdout } = await run(python, [...args, "--dir", dir.path], { timeout: 600_000, maxBuffer: 1 << 24 });
    return (JSON.parse(stdout) as { rows: ExternalRow[] }).rows;
  } finally {
    await dir.remove();
  }
}

/** The script in --serve mode: one JSON request line in, one reply line out, in order. */
async function serve(synchronous = 1): Promise<SeedServer> {
  const python = await findPython();
  const dir = await scratchDir("python-diskcache");
  const child = spawn(python, [SCRIPT, "--serve", "--sqlite-synchronous", `${synchronous}`, "--dir", dir.path], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const replies: ((line: string) => void)[] = [];
  let exited: Error | undefined;
  const failAll = (error: Error) => {
    exited = error;
    for (const reply of replies.splice(0)) reply(JSON.stringify({ error: error.message }));
  };
  child.once("exit", (code, signal) => failAll(new Error(`diskcache runner exited (${code ?? signal})`)));
  child.once("error", failAll);
  createInterface({ input: child.stdout }).on("line", (line) => replies.shift()?.(line));
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (exited) return reject(exited);
      replies.push((line) => {
        const reply = JSON.parse(line) as Record<string, unknown>;
        if (typeof reply.error === "string") reject(new Error(reply.error));
        else resolve(reply);
      });
    });
  await next();
  return {
    async run(group, n, tag, minMs) {
      const reply = next();
      child.stdin.write(`${JSON.stringify({ group, n, tag, minMs })}\n`);
      const { rows, rssBytes } = (await reply) as { rows: Record<string, RunSummary>; rssBytes: number };
      return { rows, rssBytes };
    },
    async close() {
      child.stdin.end();
      if (!exited) await new Promise((resolve) => child.once("exit", resolve));
      await dir.remove();
    },
  };
}

/** Python diskcache + filelock, the seed's own stack: the seed workload, and filelock in contention. */
export const pythonDiskcache: Subject = {
  name: "python-diskcache",
  kind: "peer",
  capabilities: ["cache", "lock", "checkpoint"],
  external: { runSeed, serve },
  contention: { run: runFilelockContention },
};

/** The same with diskcache's sqlite_synchronous=2 (FULL: an fsync per commit), beside our strongest levels. */
export const pythonDiskcacheFull: Subject = {
  name: "python-diskcache-full",
  kind: "peer",
  capabilities: ["cache", "lock", "checkpoint"],
  external: { runSeed: (options) => runSeed(options, 2), serve: () => serve(2) },
};
