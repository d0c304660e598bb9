import { CacheStore, CheckpointStore, ConfigError, createStorage, type Storage } from "@stowage/core";
import { EXIT } from "../exit-codes.js";
import { copyCache } from "../migrate/copy-cache.js";
import { copyCheckpoints } from "../migrate/copy-checkpoints.js";
import { cacheFingerprint, checkpointFingerprint, type Fingerprint } from "../migrate/fingerprint.js";
import type { Output } from "../output.js";
import { redact } from "../target-url.js";

export interface MigrateOptions {
  from: string;
  to: string;
  only: ("cache" | "checkpoint")[];
  namespaces: string[];
  dryRun: boolean;
  batch: number;
}

function drivers(storage: Storage) {
  if (!(storage.cache instanceof CacheStore) || !(storage.checkpoint instanceof CheckpointStore)) {
    throw new ConfigError("url", "migrate needs stores opened by @stowage/core");
  }
  return { cache: storage.cache.driver, checkpoint: storage.checkpoint.driver };
}

/**
 * Copies cache entries (with their remaining TTL) and every thread's checkpoints, blobs and
 * writes from one backend to another, then verifies counts and checksums. Idempotent: run it
 * again after an interruption and it finishes the job. Lock leases are not copied (they are
 * ephemeral); fencing tokens on the new backend start again from its own counter.
 */
export async function migrate(options: MigrateOptions, out: Output): Promise<number> {
  if (options.from === options.to) throw new ConfigError("--to", "must differ from --from");
  const report: Record<string, unknown>[] = [];
  let verified = true;
  for (const namespace of options.namespaces) {
    const source = await createStorage({ url: options.from, namespace });
    let target: Storage | undefined;
    try {
      target = await createStorage({ url: options.to, namespace });
      const from = drivers(source);
      const to = drivers(target);
      const entry: Record<string, unknown> = { namespace };
      out.line(
        `migrating namespace "${namespace}" from ${redact(options.from)} to ${redact(options.to)}${options.dryRun ? " (dry run)" : ""}`,
      );
      if (options.only.includes("cache")) {
        const total = (await from.cache.size()).entries;
        const progress = out.progress(`cache ${namespace}`, total);
        const counts = await copyCache(from.cache, to.cache, {
          dryRun: options.dryRun,
          batch: options.batch,
          progress,
        });
        progress.stop();
        out.line(
          `  cache: ${counts.copied} copied, ${counts.unchanged} already there, ${counts.skippedExpired} expired (not copied)`,
        );
        entry.cache = counts;
      }
      if (options.only.includes("checkpoint")) {
        const total = (await from.checkpoint.size()).checkpoints;
        const progress = out.progress(`checkpoints ${namespace}`, total);
        const counts = await copyCheckpoints(from.checkpoint, to.checkpoint, { dryRun: options.dryRun, progress });
        progress.stop();
        out.line(
          `  checkpoints: ${counts.copied} copied, ${counts.unchanged} already there, ${counts.threads} threads`,
        );
        entry.checkpoint = counts;
      }
      if (!options.dryRun) {
        const checks: Record<string, { source: Fingerprint; target: Fingerprint; match: boolean }> = {};
        if (options.only.includes("cache")) {
          const [s, t] = await Promise.all([cacheFingerprint(from.cache), cacheFingerprint(to.cache)]);
          checks.cache = { source: s, target: t, match: s.count === t.count && s.sha256 === t.sha256 };
        }
        if (options.only.includes("checkpoint")) {
          const [s, t] = await Promise.all([
            checkpointFingerprint(from.checkpoint),
            checkpointFingerprint(to.checkpoint),
          ]);
          checks.checkpoint = { source: s, target: t, match: s.count === t.count && s.sha256 === t.sha256 };
        }
        for (const [what, c] of Object.entries(checks)) {
          out.line(
            `  verify ${what}: source ${c.source.count} / target ${c.target.count} records, checksums ${c.match ? "match" : "DIFFER"}`,
          );
          if (!c.match) verified = false;
        }
        entry.verification = checks;
      }
      report.push(entry);
    } finally {
      await Promise.allSettled([source.close(), target?.close()]);
    }
  }
  out.result(
    { ok: verified, from: redact(options.from), to: redact(options.to), dryRun: options.dryRun, namespaces: report },
    () =>
      out.line(
        options.dryRun
          ? "dry run: nothing was written"
          : verified
            ? "migration verified"
            : "verification FAILED: counts or checksums differ (was the target empty? is something writing to either side?)",
      ),
  );
  return verified ? EXIT.ok : EXIT.failed;
}
