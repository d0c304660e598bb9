import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createStorage, type Storage } from "@stowage/core";
import fc from "fast-check";
import { expect } from "vitest";
import { tempDir } from "./temp-dir.js";

type Step = { kind: "acquire"; name: string } | { kind: "snapshot" } | { kind: "reopen"; loseTail: boolean };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a", "b").map((name) => ({ kind: "acquire" as const, name })) },
  { weight: 1, arbitrary: fc.constant({ kind: "snapshot" as const }) },
  { weight: 2, arbitrary: fc.boolean().map((loseTail) => ({ kind: "reopen" as const, loseTail })) },
);

/** A file-backed store whose fencing tokens must survive an OS crash that lost its last commits. */
export interface FenceEpochTarget {
  /** Names the scratch directory. */
  label: string;
  /** The store's URL in `dir`. */
  url(dir: string): string;
  /** The files an OS crash may leave as they were at an earlier moment. */
  files: readonly string[];
  /** The epoch is flushed at an open's first acquire (lmdb), so a crash image taken before it is not one the store allows. */
  epochAtFirstAcquire?: boolean;
  numRuns?: number;
}

function copyFiles(files: readonly string[], from: string, to: string): void {
  for (const file of files) {
    rmSync(join(to, file), { force: true });
    if (existsSync(join(from, file))) copyFileSync(join(from, file), join(to, file));
  }
}

/**
 * The property: over random acquires, reopens and reopens from an earlier copy of the files (no
 * flush per lock operation), every name's tokens only rise.
 */
export async function assertFenceEpochsRise(target: FenceEpochTarget): Promise<void> {
  const root = await tempDir(`${target.label}-epoch`);
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const dir = join(root.path, `run-${++run}`);
        const snapshotDir = join(root.path, `snap-${run}`);
        mkdirSync(dir);
        mkdirSync(snapshotDir);
        const url = target.url(dir);
        const highest = new Map<string, bigint>();
        let storage: Storage = await createStorage(url);
        let snapshot = false;
        let acquiredSinceOpen = false;
        try {
          for (const s of steps) {
            if (s.kind === "acquire") {
              const lease = await storage.lock.acquire(s.name, { ttl: 60_000 });
              expect(lease.token).toBeGreaterThan(highest.get(s.name) ?? 0n);
              highest.set(s.name, lease.token);
              acquiredSinceOpen = true;
              await lease.release();
            } else if (s.kind === "snapshot") {
              if (target.epochAtFirstAcquire && !acquiredSinceOpen) continue;
              copyFiles(target.files, dir, snapshotDir);
              snapshot = true;
            } else {
              acquiredSinceOpen = false;
              await storage.close();
              if (s.loseTail && snapshot) copyFiles(target.files, snapshotDir, dir);
              snapshot = false;
              storage = await createStorage(url);
            }
          }
        } finally {
          await storage.close();
        }
      }),
      { numRuns: target.numRuns ?? 40 },
    );
  } finally {
    await root.remove();
  }
}
