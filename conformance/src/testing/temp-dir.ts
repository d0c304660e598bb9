import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh directory under the OS temp dir; `remove` deletes it with everything in it. */
export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

/** Makes a private scratch directory named after `label` (e.g. the test file). */
export async function tempDir(label: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `stowage-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true, maxRetries: 5 }) };
}
