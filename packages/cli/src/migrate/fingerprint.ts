import { createHash } from "node:crypto";
import type { CacheDriver, CheckpointDriver, LoadedCheckpoint } from "@stowage/core";

/** Count and order-independent checksum of a set of records. */
export interface Fingerprint {
  count: number;
  sha256: string;
}

/** XOR of per-record hashes: the same set gives the same checksum whatever order a backend lists it in. */
class SetHash {
  readonly #acc = Buffer.alloc(32);
  count = 0;
  add(...parts: (string | Uint8Array)[]): void {
    const hash = createHash("sha256");
    for (const part of parts) {
      hash.update(typeof part === "string" ? Buffer.from(part) : part);
      hash.update("\0");
    }
    const digest = hash.digest();
    for (let i = 0; i < 32; i++) this.#acc[i] = (this.#acc[i] as number) ^ (digest[i] as number);
    this.count++;
  }
  done(): Fingerprint {
    return { count: this.count, sha256: this.#acc.toString("hex") };
  }
}

/** Fingerprint of every live cache entry (key and value bytes; expiry is left out because it moves on). */
export async function cacheFingerprint(driver: CacheDriver, batch = 500): Promise<Fingerprint> {
  const set = new SetHash();
  let keys: string[] = [];
  const flush = async () => {
    const entries = await driver.getMany(keys);
    entries.forEach((entry, i) => {
      if (entry) set.add(keys[i] as string, entry.value);
    });
    keys = [];
  };
  for await (const key of driver.keys("")) {
    keys.push(key);
    if (keys.length >= batch) await flush();
  }
  if (keys.length) await flush();
  return set.done();
}

/** Every live checkpoint, newest first, loaded with its blobs and writes. */
export async function* allCheckpoints(driver: CheckpointDriver, page = 200): AsyncIterable<LoadedCheckpoint> {
  let before: string | undefined;
  for (;;) {
    const listed = await driver.listPage({ limit: page, ...(before !== undefined ? { before } : {}) });
    for (const checkpoint of listed) {
      const loaded = await driver.get(checkpoint.threadId, checkpoint.ns, checkpoint.id);
      if (loaded) yield loaded;
    }
    if (listed.length < page) return;
    before = listed.at(-1)?.id;
  }
}

/** Canonical bytes of a loaded checkpoint: what must be equal on both sides of a migration. */
export function checkpointDigest(checkpoint: LoadedCheckpoint): string {
  const hash = createHash("sha256");
  hash.update(
    JSON.stringify([
      checkpoint.threadId,
      checkpoint.ns,
      checkpoint.id,
      checkpoint.parentId,
      checkpoint.metadata,
      checkpoint.channels,
    ]),
  );
  hash.update(checkpoint.payload);
  const blobs = [...checkpoint.blobs].sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  for (const blob of blobs) hash.update(JSON.stringify([blob.channel, blob.version])).update(blob.value);
  const writes = [...checkpoint.writes].sort((a, b) => a.taskId.localeCompare(b.taskId) || a.index - b.index);
  for (const write of writes)
    hash.update(JSON.stringify([write.taskId, write.index, write.channel, write.taskPath])).update(write.value);
  return hash.digest("hex");
}

/** Fingerprint of every live checkpoint with its blobs and writes. */
export async function checkpointFingerprint(driver: CheckpointDriver): Promise<Fingerprint> {
  const set = new SetHash();
  for await (const checkpoint of allCheckpoints(driver)) set.add(checkpointDigest(checkpoint));
  return set.done();
}
