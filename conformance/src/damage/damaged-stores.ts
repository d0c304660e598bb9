/**
 * Damaged stores: what a local backend does with files that are not what it wrote.
 *
 * The suite writes one store with one of each kind of record (cache entries with and without a
 * ttl, a counter, a JSON document, checkpoints of two threads with blobs and pending writes, a
 * released and a held lock; every value names its own record, so one record's bytes cannot pass
 * for another's), closes it, and for each kind of file the backend lists (`damage.files`) copies
 * the store, damages one file of that kind, and opens and reads the copy in a child process
 * (damage-reader.ts), so that a SIGBUS or an abort fails the test rather than killing the runner.
 * fast-check chooses the file, and either a length to cut it to or one to three bytes to flip
 * (offset and XOR mask); failures shrink and print the damage, the file and every broken read.
 *
 * The promise, for every damage:
 * - the reader neither crashes nor hangs (each job has a generous timeout);
 * - every error is a StowageError ERR_CORRUPT_DATA: at open (the whole store refused), or from a
 *   read; no other code (a damaged store is not "unavailable") and never a bare TypeError;
 * - a read answers the same when made again after other reads have failed (a failed read must not
 *   spoil the next ones, as an LMDB read transaction left in error would);
 * - for a cut file, and for flipped bytes in a range the format checks (`flipsDetected`: a
 *   checksum, or a check of the structure before use), each read is exactly the record written or
 *   ERR_CORRUPT_DATA: never another record (an older checkpoint as the latest, another key's
 *   value), never absent, never a list that skips one, never a fencing token that goes back and
 *   never a held lock granted. A damaged record makes the reads that need it fail; an undamaged
 *   one read on its own still reads (except where the backend refuses the whole store at open).
 * - flipped bytes in a range the format does not check (SQLite's and LMDB's pages carry no
 *   checksum) may change what a read returns, and are held to the first three points only.
 *
 * A foreign file of the same format (another program's SQLite database or LMDB environment, a
 * directory of unrelated files) is refused at open with ERR_CORRUPT_DATA and left byte-identical,
 * with nothing added beside it. ERR_CORRUPT_DATA rather than ERR_CONFIG: a backend cannot tell a
 * foreign file from its own store whose identifying marks are damaged (an application id, a
 * header), and either way the data at that URL is not a store it can read; the message says
 * which marks were missing.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createStorage } from "@stowage/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { propertyParameters } from "../runs.js";
import { uniqueNamespace } from "../support.js";
import type { ConformanceTarget, DamageableFile, DamageCapability } from "../target.js";
import type { ReaderJob } from "./damage-reader.js";
import { type DamagePlan, writeRecords } from "./damage-records.js";
import { applyDamage, copyTree, type Damage, snapshotTree, treeDifferences } from "./file-damage.js";
import { judge } from "./judge.js";
import { type JobResult, ReaderProcess } from "./reader-process.js";

/** Far above a job's usual tens of milliseconds, so only a real hang (or a stalled machine) ends one. */
const JOB_TIMEOUT_MS = 30_000;
/** Cases per backend, shared among its kinds of file (each kind gets at least MIN_RUNS); a case costs a copy and a job. */
const RUNS_PER_BACKEND = 48;
const MIN_RUNS = 4;

const cuts: fc.Arbitrary<Damage> = fc.record({ cut: fc.nat() });
const flips: fc.Arbitrary<Damage> = fc.record({
  flips: fc.array(fc.record({ at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 3 }),
});

function describeResult(result: JobResult): string[] | undefined {
  if ("crashed" in result) return [`the reader process ${result.crashed}`];
  if ("hung" in result) return [`the reader did not finish within ${result.hung} ms (a hang)`];
  return undefined;
}

/** Registers the damaged-stores group for a target with the damage capability. */
export function damagedStores(target: ConformanceTarget, damage: DamageCapability): void {
  describe("damaged stores", () => {
    const namespace = uniqueNamespace();
    let root = "";
    let pristine = "";
    let plan: DamagePlan;
    let reader: ReaderProcess;
    let copies = 0;

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), "stowage-damage-"));
      pristine = join(root, "pristine");
      mkdirSync(pristine);
      const storage = await createStorage({ url: damage.urlIn(pristine), namespace });
      try {
        plan = await writeRecords(storage, namespace);
      } finally {
        await storage.close();
      }
      reader = new ReaderProcess(target.workerImports ?? []);
    }, 120_000);

    afterAll(() => {
      reader?.close();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    const freshCopy = () => {
      const dir = join(root, `copy-${++copies}`);
      copyTree(pristine, dir);
      return dir;
    };
    const job = (dir: string): ReaderJob => ({
      url: damage.urlIn(dir),
      namespace,
      reads: plan.reads.map((r) => r.read),
      acquires: plan.acquires.map((a) => a.acquire),
    });

    it("an undamaged copy of the store reads back every record, twice, in the reader process", async () => {
      const dir = freshCopy();
      const result = await reader.run(job(dir), JOB_TIMEOUT_MS);
      rmSync(dir, { recursive: true, force: true });
      expect(describeResult(result) ?? [], "reader").toEqual([]);
      if (!("answer" in result)) return;
      expect(result.answer.open).toEqual({ value: "opened" });
      expect(judge(result.answer, plan, "record-or-corrupt")).toEqual([]);
    }, 60_000);

    it("every kind of file the backend declares is found in the store it wrote", () => {
      const dir = freshCopy();
      const listed = new Set(damage.files(dir).map((file) => file.kind));
      rmSync(dir, { recursive: true, force: true });
      expect([...listed].sort()).toEqual([...new Set(damage.kinds.map((kind) => kind.name))].sort());
    });

    const runs = Math.max(MIN_RUNS, Math.ceil(RUNS_PER_BACKEND / damage.kinds.length));
    for (const kind of damage.kinds) {
      const name = kind.flipsDetected
        ? `a damaged ${kind.name} reads as its records or ERR_CORRUPT_DATA, never crashing or hanging the reader`
        : `a ${kind.name} cut short reads as its records or ERR_CORRUPT_DATA; flipped bytes in it never crash or hang the reader or raise another error`;
      it(name, async () => {
        let knownCrashes = 0;
        await fc.assert(
          fc.asyncProperty(fc.nat(), kind.truncate === false ? flips : fc.oneof(cuts, flips), async (pick, chosen) => {
            const dir = freshCopy();
            try {
              const files = damage.files(dir).filter((file) => file.kind === kind.name);
              expect(files.length, `no ${kind.name} file in the store`).toBeGreaterThan(0);
              const file = files[pick % files.length] as DamageableFile;
              const done = applyDamage(file.path, chosen, file.flipRange);
              if (done === undefined) return;
              const result = await reader.run(job(dir), JOB_TIMEOUT_MS);
              const known = kind.flipsMayCrash;
              const crashed = "crashed" in result ? result.crashed : "";
              if (
                known &&
                "flips" in chosen &&
                known.signals.some((signal) => crashed.includes(`killed by ${signal}`))
              ) {
                knownCrashes++;
                return;
              }
              const strict = "cut" in chosen || kind.flipsDetected;
              const faults =
                describeResult(result) ??
                ("answer" in result
                  ? judge(result.answer, plan, strict ? "record-or-corrupt" : "no-crash-no-other-error")
                  : []);
              expect(faults, `${kind.name} ${relative(dir, file.path)}: ${done}`).toEqual([]);
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
          }),
          propertyParameters(runs),
        );
        if (knownCrashes > 0) {
          console.log(
            `[conformance] ${target.name}: ${knownCrashes} flipped ${kind.name}(s) killed the reader (${kind.flipsMayCrash?.signals.join(" or ")}), a known limitation: ${kind.flipsMayCrash?.reason}`,
          );
        }
      }, 600_000);
    }

    for (const foreign of damage.foreign) {
      it(`${foreign.name}, opened as a store, is refused with ERR_CORRUPT_DATA and left byte-identical`, async () => {
        const dir = mkdtempSync(join(root, "foreign-"));
        const url = await foreign.make(dir);
        const before = snapshotTree(dir);
        const result = await reader.run({ url, namespace, reads: [], acquires: [] }, JOB_TIMEOUT_MS);
        const after = snapshotTree(dir);
        rmSync(dir, { recursive: true, force: true });
        expect(describeResult(result) ?? [], "reader").toEqual([]);
        if (!("answer" in result)) return;
        expect(result.answer.open, "opening it").toMatchObject({ code: "ERR_CORRUPT_DATA" });
        expect(treeDifferences(before, after), "changes to the foreign files").toEqual([]);
      }, 60_000);
    }
  });
}
