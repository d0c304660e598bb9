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

const HISTORIES =
  "random histories of put (branching, repeated versions), putWrites, get, list, deleteThread and prune read as the model says";

describe("the conformance suite catches broken stores", () => {
  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), "stowage-broken-"));
    const report = join(outDir, "report.json");
    // The suite is run in a child Vitest on purpose: those runs are expected to fail.
    spawnSync(
      process.execPath,
      [vitestBin, "run", "--config", join(fixtures, "vitest.config.ts"), "--reporter=json", `--outputFile=${report}`],
      {
        // Properties that find a fault only on some histories get enough runs to find it every time.
        env: { ...process.env, STOWAGE_CONFORMANCE_RUNS: process.env.STOWAGE_CONFORMANCE_RUNS ?? "100" },
        encoding: "utf8",
        timeout: 600_000,
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
  }, 620_000);

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

  it("a gc() that removes live entries, looping in other processes, fails the maintenance group", () => {
    const maintenance = outcome("gc-removes-live-entries", "maintenance in other processes");
    expect(maintenance.failed).toEqual([
      "gc, prune and another namespace's clear() looping in 2 other processes: no spurious error, every acknowledged write reads back",
    ]);
  });

  it("a checkpoint store that joins thread and ns naively fails the identifier isolation property", () => {
    const ids = outcome("checkpoint-joins-identifiers", "identifiers: round-trip and isolation (fast-check)");
    expect(ids.failed).toContain(
      "checkpoints in every field round-trip, and deleteThread and prune of one never touch another",
    );
    expect(outcome("checkpoint-joins-identifiers", "cache basics").failed).toEqual([]);
    expect(outcome("checkpoint-joins-identifiers", "lock").failed).toEqual([]);
  });

  it("a store where the last write of a blob version wins fails the immutable-blob test and the model-based histories", () => {
    expect(outcome("blob-versions-overwritten", "checkpoint branches").failed).toEqual([
      "a blob once written is never replaced: a sibling that reuses a version never changes what an older checkpoint reads",
    ]);
    expect(outcome("blob-versions-overwritten", "checkpoint histories against a model").failed).toEqual([HISTORIES]);
    expect(outcome("blob-versions-overwritten", "cache basics").failed).toEqual([]);
    expect(outcome("blob-versions-overwritten", "lock").failed).toEqual([]);
  });

  it("a putWrites that replaces non-negative indices fails the model-based histories", () => {
    expect(outcome("writes-always-replace", "checkpoint histories against a model").failed).toEqual([HISTORIES]);
    expect(outcome("writes-always-replace", "checkpoint branches").failed).toEqual([]);
    expect(outcome("writes-always-replace", "lock").failed).toEqual([]);
  });

  it("a cache that truncates values of 16 MiB and more fails the large-value test, and not the edge tests at 1 MiB", () => {
    const large = outcome("drops-large-values", "large values (declared maximum 67108864 bytes)");
    expect(large.failed).toContain(
      "a 16777216-byte cache value, checkpoint payload and blob read back with get, getMany, ttl and has",
    );
    expect(outcome("drops-large-values", "value sizes at the maximum (json, maxValueBytes 1048576)").failed).toEqual(
      [],
    );
    expect(outcome("drops-large-values", "lock").failed).toEqual([]);
  });

  const CACHE_MODEL = "every step of random histories over three namespaces agrees with an in-memory model";
  const LOCK_MODEL = "every step of random histories over three lock instances agrees with an in-memory model";

  /** The failed tests of a fault outside the generated groups (model histories, identifier fuzz): what the example tests alone would have said. */
  const failedOutsideModels = (fault: string) =>
    (byFault[fault] ?? [])
      .filter(
        (r) =>
          r.status === "failed" &&
          !r.ancestorTitles.some((t) => t.endsWith("model histories") || t.startsWith("identifiers:")),
      )
      .map((r) => r.title);

  it("a clear() that also empties namespaces it is a prefix of is caught by the cache model only", () => {
    expect(outcome("cache-clear-by-prefix", "cache model histories").failed).toEqual([CACHE_MODEL]);
    expect(failedOutsideModels("cache-clear-by-prefix")).toEqual([]);
  });

  it("a json.set that gives an existing document the call's ttl is caught by the cache model only", () => {
    expect(outcome("json-set-replaces-ttl", "cache model histories").failed).toEqual([CACHE_MODEL]);
    expect(failedOutsideModels("json-set-replaces-ttl")).toEqual([]);
  });

  it("a lock that refuses a name while a name it starts with is held is caught by the lock model (and the identifier fuzz), not by the example tests", () => {
    expect(outcome("lock-names-by-prefix", "lock model histories").failed).toEqual([LOCK_MODEL]);
    expect(failedOutsideModels("lock-names-by-prefix")).toEqual([]);
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
    // These fixtures run only one group (maintenance, damaged stores): the rest is the file backend's, judged beside it.
    const oneGroup = new Set(["gc-removes-live-entries", "skip-damaged-record"]);
    for (const fault of Object.keys(byFault).filter((name) => !oneGroup.has(name))) {
      const results = byFault[fault] ?? [];
      expect(results.filter((r) => r.status === "passed").length, fault).toBeGreaterThan(50);
    }
    expect(Object.keys(byFault).sort()).toEqual([
      "blob-versions-overwritten",
      "cache-clear-by-prefix",
      "cache-ignores-ttl",
      "checkpoint-joins-identifiers",
      "delete-thread-leaves-writes",
      "drops-large-values",
      "gc-removes-live-entries",
      "json-set-replaces-ttl",
      "lock-ignores-holders",
      "lock-names-by-prefix",
      "skip-damaged-record",
      "writes-always-replace",
    ]);
  });
});
