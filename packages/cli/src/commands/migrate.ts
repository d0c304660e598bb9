import {
  CacheStore,
  CheckpointStore,
  ConfigError,
  createStorage,
  Interrupt,
  Interrupted,
  LockStore,
  type Storage,
} from "@stowage/core";
import { EXIT } from "../exit-codes.js";
import { copyCache } from "../migrate/copy-cache.js";
import { copyCheckpoints } from "../migrate/copy-checkpoints.js";
import { assertFencesMovable, copyFences } from "../migrate/copy-fences.js";
import { ledgerNamespace, MigrationLedger } from "../migrate/ledger.js";
import { storeIdentity } from "../migrate/store-identity.js";
import { type Verification, verifyCache, verifyCheckpoints } from "../migrate/verify.js";
import type { Output, Progress } from "../output.js";
import { redact } from "../target-url.js";

export type MigratedStore = "cache" | "checkpoint" | "lock";

export interface MigrateOptions {
  from: string;
  to: string;
  only: MigratedStore[];
  namespaces: string[];
  dryRun: boolean;
  batch: number;
  /** Overwrite target records the application changed after they were copied. */
  sourceWins: boolean;
}

function drivers(storage: Storage) {
  if (
    !(storage.cache instanceof CacheStore) ||
    !(storage.checkpoint instanceof CheckpointStore) ||
    !(storage.lock instanceof LockStore)
  ) {
    throw new ConfigError("url", "migrate needs stores opened by @stowage/core");
  }
  return { cache: storage.cache.driver, checkpoint: storage.checkpoint.driver, lock: storage.lock.driver };
}

/** Counts records done across every stage, for "interrupted after N of M". */
class Position {
  done = 0;
  total = 0;
  track(progress: Progress): Progress {
    return {
      tick: (by = 1) => {
        this.done += by;
        progress.tick(by);
      },
      setTotal: (total) => progress.setTotal(total),
      stop: () => progress.stop(),
    };
  }
}

const explained = (v: Verification) =>
  Object.entries(v.differences)
    .filter(([, n]) => n > 0)
    .map(([why, n]) => `${n} ${why}`)
    .join(", ");

/**
 * Copies cache entries (with their remaining TTL), every thread's checkpoints, blobs and writes,
 * and the fencing counters of locks from one backend to another, then compares both sides
 * record by record. Resumable: run it again after an interruption and it finishes the job. A
 * re-run after the application started writing to the target never overwrites what the
 * application wrote (a ledger in the target notes what the migration wrote); --source-wins does.
 * Lock leases are not copied (they are ephemeral); fencing counters move to the larger of both sides.
 */
export async function migrate(options: MigrateOptions, out: Output): Promise<number> {
  if (storeIdentity(options.from) === storeIdentity(options.to)) {
    throw new ConfigError("--to", `names the same store as --from (${storeIdentity(options.to)}); give another target`);
  }
  const report: Record<string, unknown>[] = [];
  let verified = true;
  const interrupt = new Interrupt();
  const position = new Position();
  try {
    for (const namespace of options.namespaces) {
      const source = await createStorage({ url: options.from, namespace });
      let target: Storage | undefined;
      let ledgerStorage: Storage | undefined;
      try {
        target = await createStorage({ url: options.to, namespace });
        ledgerStorage = await createStorage({ url: options.to, namespace: ledgerNamespace(namespace) });
        const from = drivers(source);
        const to = drivers(target);
        const ledger = new MigrationLedger(drivers(ledgerStorage).cache);
        const copyLocks = options.only.includes("lock");
        if (copyLocks) assertFencesMovable(from.lock, to.lock, redact(options.from), redact(options.to));
        const entry: Record<string, unknown> = { namespace };
        out.line(
          `migrating namespace "${namespace}" from ${redact(options.from)} to ${redact(options.to)}${options.dryRun ? " (dry run)" : ""}`,
        );
        const copy = { dryRun: options.dryRun, sourceWins: options.sourceWins, interrupt };
        const cacheTotal = options.only.includes("cache") ? (await from.cache.size()).entries : 0;
        const checkpointTotal = options.only.includes("checkpoint") ? (await from.checkpoint.size()).checkpoints : 0;
        position.total += cacheTotal + checkpointTotal;
        if (options.only.includes("cache")) {
          const progress = position.track(out.progress(`cache ${namespace}`, cacheTotal));
          const counts = await copyCache(from.cache, to.cache, ledger, { ...copy, batch: options.batch, progress });
          progress.stop();
          out.line(
            `  cache: ${counts.copied} copied, ${counts.unchanged} already there, ${counts.skippedExpired} expired (not copied)${keptLine(counts)}`,
          );
          entry.cache = counts;
        }
        if (options.only.includes("checkpoint")) {
          const progress = position.track(out.progress(`checkpoints ${namespace}`, checkpointTotal));
          const counts = await copyCheckpoints(from.checkpoint, to.checkpoint, ledger, { ...copy, progress });
          progress.stop();
          out.line(
            `  checkpoints: ${counts.copied} copied, ${counts.unchanged} already there, ${counts.threads} threads${keptLine(counts)}${counts.threadsGrownOnTarget ? `, ${counts.threadsGrownOnTarget} threads extended on the target (not forked)` : ""}`,
          );
          entry.checkpoint = counts;
        }
        if (copyLocks) {
          const counts = await copyFences(from.lock, to.lock, copy);
          out.line(
            `  locks: ${counts.raised} fencing counters raised to the source's, ${counts.unchanged} already higher${counts.held.length ? `, ${counts.held.length} held on the target (re-run to raise them)` : ""}`,
          );
          if (counts.held.length) verified = false;
          entry.lock = counts;
        }
        if (!options.dryRun) {
          const checks: Record<string, Verification> = {};
          if (options.only.includes("cache")) {
            checks.cache = await verifyCache(from.cache, to.cache, ledger, options.batch);
          }
          if (options.only.includes("checkpoint")) {
            checks.checkpoint = await verifyCheckpoints(from.checkpoint, to.checkpoint, ledger);
          }
          for (const [what, c] of Object.entries(checks)) {
            const why = explained(c);
            out.line(
              `  verify ${what}: source ${c.source.count} / target ${c.target.count} records, ${c.same} identical${why ? `; ${why}` : ""}: ${c.match ? "match" : "DIFFER"}`,
            );
            for (const example of c.examples) out.line(`    ${example.why}: ${example.id}`);
            if (!c.match) verified = false;
          }
          entry.verification = checks;
        }
        report.push(entry);
      } finally {
        await Promise.allSettled([source.close(), target?.close(), ledgerStorage?.close()]);
      }
    }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    const message = `interrupted after ${position.done} of ${position.total}; re-run to resume`;
    out.result({ ok: false, interrupted: true, done: position.done, total: position.total, message }, () =>
      out.line(message),
    );
    if (out.json) process.stderr.write(`${message}\n`);
    return EXIT.interrupted;
  } finally {
    interrupt.dispose();
  }
  out.result(
    { ok: verified, from: redact(options.from), to: redact(options.to), dryRun: options.dryRun, namespaces: report },
    () =>
      out.line(
        options.dryRun
          ? "dry run: nothing was written"
          : verified
            ? "migration verified (differences above, if any, are the application's own writes on the target)"
            : "verification FAILED: records are missing or differ on the target (is something still writing to the source?)",
      ),
  );
  return verified ? EXIT.ok : EXIT.failed;
}

function keptLine(counts: { changedOnTarget: number; deletedOnTarget: number; keptTarget: number }): string {
  const kept = counts.changedOnTarget + counts.deletedOnTarget + counts.keptTarget;
  return kept
    ? `, ${kept} kept as the target has them (${counts.changedOnTarget} changed there after the copy, ${counts.deletedOnTarget} deleted there, ${counts.keptTarget} never written by a migration; --source-wins overwrites them)`
    : "";
}
