import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

interface AssertionResult {
  title: string;
  ancestorTitles: string[];
  status: "passed" | "failed" | "skipped" | "pending";
}

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const vitestBin = fileURLToPath(new URL("../../node_modules/vitest/vitest.mjs", import.meta.url));
let outDir = "";
let byFault: Record<string, AssertionResult[]> = {};

/** Test titles under a describe group, split by outcome. */
function outcome(fault: string, group: string) {
  const results = (byFault[fault] ?? []).filter((r) => r.ancestorTitles.includes(group));
  return {
    failed: results.filter((r) => r.status === "failed").map((r) => r.title),
    passed: results.filter((r) => r.status === "passed").map((r) => r.title),
  };
}

describe("the conformance suite catches broken stores", () => {
  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), "stowage-broken-"));
    const report = join(outDir, "report.json");
    // The suite is run in a child Vitest on purpose: those runs are expected to fail.
    spawnSync(
      process.execPath,
      [vitestBin, "run", "--config", join(fixtures, "vitest.config.ts"), "--reporter=json", `--outputFile=${report}`],
      {
        encoding: "utf8",
        timeout: 180_000,
      },
    );
    const parsed = JSON.parse(readFileSync(report, "utf8")) as {
      testResults: { name: string; assertionResults: AssertionResult[] }[];
    };
    byFault = {};
    for (const file of parsed.testResults) {
      const fault = file.name.replace(/^.*\//, "").replace(".fixture.ts", "");
      byFault[fault] = file.assertionResults;
    }
  }, 200_000);

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("a lock that ignores other holders fails the mutual-exclusion tests, and only lock tests", () => {
    const lock = outcome("lock-ignores-holders", "lock");
    expect(lock.failed).toContain(
      "hold intervals of 40 concurrent callers on two instances never overlap, and each sees the counter it left",
    );
    expect(lock.failed).toContain("tryAcquire returns undefined while the name is held and a lease after release");
    expect(outcome("lock-ignores-holders", "cache basics").failed).toEqual([]);
    expect(outcome("lock-ignores-holders", "checkpoint").failed).toEqual([]);
  });

  it("a cache that ignores TTL fails the expiry tests, and not the lock or checkpoint tests", () => {
    const ttl = outcome("cache-ignores-ttl", "cache ttl");
    expect(ttl.failed).toContain("an expired entry is never returned by get, getMany, has, ttl or keys");
    expect(ttl.failed).toContain("add and incr treat an expired entry as absent");
    expect(outcome("cache-ignores-ttl", "lock").failed).toEqual([]);
    expect(outcome("cache-ignores-ttl", "checkpoint").failed).toEqual([]);
  });

  it("a deleteThread that leaves writes behind fails the leaves-nothing test", () => {
    const state = outcome("delete-thread-leaves-writes", "checkpoint blobs, writes and deletion");
    expect(state.failed).toContain("deleteThread leaves nothing: no checkpoint, blob, write or index entry, in any ns");
    expect(outcome("delete-thread-leaves-writes", "cache basics").failed).toEqual([]);
    expect(outcome("delete-thread-leaves-writes", "lock").failed).toEqual([]);
  });

  it("a file store that reads a damaged record as absent fails the damaged-stores tests of both kinds it damages", () => {
    const damage = outcome("skip-damaged-record", "damaged stores");
    expect(damage.failed).toContain(
      "a damaged cache entry reads as its records or ERR_CORRUPT_DATA, never crashing or hanging the reader",
    );
    expect(damage.failed).toContain(
      "a damaged checkpoint reads as its records or ERR_CORRUPT_DATA, never crashing or hanging the reader",
    );
    // What it does with undamaged files is the file backend's own, and passes.
    expect(damage.passed).toContain(
      "an undamaged copy of the store reads back every record, twice, in the reader process",
    );
  });

  it("the unbroken parts of each broken store still pass most of the suite", () => {
    // skip-damaged-record runs only the damaged-stores group (the rest is the file backend's, judged beside it).
    for (const fault of Object.keys(byFault).filter((f) => f !== "skip-damaged-record")) {
      const results = byFault[fault] ?? [];
      expect(results.filter((r) => r.status === "passed").length, fault).toBeGreaterThan(50);
    }
    expect(Object.keys(byFault).sort()).toEqual([
      "cache-ignores-ttl",
      "delete-thread-leaves-writes",
      "lock-ignores-holders",
      "skip-damaged-record",
    ]);
  });
});
