import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { findPython } from "../peers/python-diskcache.js";
import { SkipError } from "../subjects/subject.js";

const run = promisify(execFile);

/** A Python script a probe runs beside its Node subjects; undefined (with the reason printed) when no Python has diskcache and filelock. */
export async function pythonScript(
  dir: string,
  name: string,
  source: string,
  print: (line: string) => void,
): Promise<((...args: string[]) => Promise<string>) | undefined> {
  let python: string;
  try {
    python = await findPython();
  } catch (error) {
    if (!(error instanceof SkipError)) throw error;
    print(`skipped the Python subject: ${error.message}`);
    return undefined;
  }
  const path = join(dir, name);
  await writeFile(path, source);
  return async (...args) => (await run(python, [path, ...args], { maxBuffer: 1 << 26, timeout: 600_000 })).stdout;
}
