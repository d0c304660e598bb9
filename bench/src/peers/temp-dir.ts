import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A private scratch directory for one peer's run; `remove` deletes it and everything in it. */
export async function scratchDir(peer: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `stowage-bench-${peer}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
