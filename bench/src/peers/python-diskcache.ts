import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type ExternalRow, SkipError, type Subject } from "../subjects/subject.js";
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

async function runSeed(options: { n: number; repeats: number; warmup: number }): Promise<ExternalRow[]> {
  const python = await findPython();
  const dir = await scratchDir("python-diskcache");
  try {
    const args = [SCRIPT, "--n", `${options.n}`, "--repeats", `${options.repeats}`, "--warmup", `${options.warmup}`];
    const { stdout } = await run(python, [...args, "--dir", dir.path], { timeout: 600_000, maxBuffer: 1 << 24 });
    return (JSON.parse(stdout) as { rows: ExternalRow[] }).rows;
  } finally {
    await dir.remove();
  }
}

/** Python diskcache + filelock, the seed's own stack: the seed workload, and filelock in contention. */
export const pythonDiskcache: Subject = {
  name: "python-diskcache",
  kind: "peer",
  capabilities: ["cache", "lock", "checkpoint"],
  external: { runSeed },
  contention: { run: runFilelockContention },
};
