import { createHash } from "node:crypto";
import type { CacheDriver } from "@stowage/core";

/** The namespace, in the target, where a migration notes what it wrote to `namespace`. */
export function ledgerNamespace(namespace: string): string {
  const name = `_migrate.${namespace}`;
  return name.length <= 64 ? name : `_migrate.${createHash("sha256").update(namespace).digest("hex").slice(0, 40)}`;
}

/** sha256 of the bytes, as the ledger stores it. */
export function digestOf(bytes: Uint8Array | string): Buffer {
  return createHash("sha256").update(bytes).digest();
}

const ledgerKey = (kind: "c" | "p", id: string) => `${kind}:${digestOf(id).toString("hex")}`;

/** The identity of a checkpoint in the ledger. */
export const checkpointLedgerId = (threadId: string, ns: string, id: string) => JSON.stringify([threadId, ns, id]);

/**
 * Per copied record, the digest of what the migration wrote to the target. A re-run compares it
 * with the target's current record: a difference means the application changed the record after
 * the copy, and the copy leaves it alone. Kept in the target (its own namespace), so a re-run
 * from any machine sees it; entries expire with the cache entry they describe.
 */
export class MigrationLedger {
  readonly #driver: CacheDriver;

  constructor(driver: CacheDriver) {
    this.#driver = driver;
  }

  /** The digests the migration wrote for `ids`, in order (undefined where it wrote nothing). */
  async written(kind: "c" | "p", ids: readonly string[]): Promise<(Buffer | undefined)[]> {
    const entries = await this.#driver.getMany(ids.map((id) => ledgerKey(kind, id)));
    return entries.map((entry) => (entry ? Buffer.from(entry.value) : undefined));
  }

  /** Notes what was written, after it was written (a crash between leaves a record equal to the source, which a re-run recognises). */
  async note(
    kind: "c" | "p",
    records: readonly { id: string; digest: Buffer; expiresAt: number | null }[],
  ): Promise<void> {
    if (records.length === 0) return;
    await this.#driver.setMany(
      records.map(({ id, digest, expiresAt }) => ({ key: ledgerKey(kind, id), entry: { value: digest, expiresAt } })),
    );
  }
}
