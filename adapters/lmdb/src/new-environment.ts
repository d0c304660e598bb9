import { existsSync, linkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "@stowage/core";
import { open } from "lmdb";

let creating = 0;

/**
 * Creates the data file of a new environment whole: lmdb writes its two meta pages in a temporary
 * directory beside it, and the file is linked into place (a process that loses the race to
 * another one uses the other's). So a stowage data file is never seen empty, and an empty one is
 * damage, which the header check refuses instead of starting the store afresh.
 */
export function createDataFile(dir: string, pageSize: number): void {
  const dataFile = join(dir, "data.mdb");
  if (existsSync(dataFile)) return;
  const staging = join(dir, `.new-${process.pid}-${++creating}`);
  try {
    const root = open({ path: staging, noSubdir: false, pageSize });
    void root.close();
    try {
      linkSync(join(staging, "data.mdb"), dataFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  } catch (error) {
    throw new ConfigError("url", `cannot create the LMDB data file in ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
