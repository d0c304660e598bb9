import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage, type Storage } from "@stowage/core";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";

const root = mkdtempSync(join(tmpdir(), "stowage-sqlite-epoch-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Step = { kind: "acquire"; name: string } | { kind: "snapshot" } | { kind: "reopen"; loseTail: boolean };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a", "b").map((name) => ({ kind: "acquire" as const, name })) },
  { weight: 1, arbitrary: fc.constant({ kind: "snapshot" as const }) },
  { weight: 2, arbitrary: fc.boolean().map((loseTail) => ({ kind: "reopen" as const, loseTail })) },
);

// What an OS crash may leave: the files as they were at some moment after the epoch was flushed.
const FILES = ["stowage.db", "stowage.db-wal"];
const copyFiles = (from: string, to: string) => {
  for (const file of FILES) {
    rmSync(join(to, file), { force: true });
    if (existsSync(join(from, file))) copyFileSync(join(from, file), join(to, file));
  }
};

describe("sqlite fencing epochs", () => {
  it("tokens rise across acquires, reopens and an OS crash that lost the last commits (no flush per lock operation)", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const dir = join(root, `run-${++run}`);
        const snapshotDir = join(root, `snap-${run}`);
        const { mkdirSync } = await import("node:fs");
        mkdirSync(dir);
        mkdirSync(snapshotDir);
        const url = `sqlite://${join(dir, "stowage.db")}`;
        const highest = new Map<string, bigint>();
        let storage: Storage = await createStorage(url);
        let snapshot = false;
        try {
          for (const s of steps) {
            if (s.kind === "acquire") {
              const lease = await storage.lock.acquire(s.name, { ttl: 60_000 });
              expect(lease.token).toBeGreaterThan(highest.get(s.name) ?? 0n);
              highest.set(s.name, lease.token);
              await lease.release();
            } else if (s.kind === "snapshot") {
              copyFiles(dir, snapshotDir);
              snapshot = true;
            } else {
              await storage.close();
              if (s.loseTail && snapshot) copyFiles(snapshotDir, dir);
              snapshot = false;
              storage = await createStorage(url);
            }
          }
        } finally {
          await storage.close();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
