import { createHash } from "node:crypto";
import type { CheckpointDriver, LoadedCheckpoint } from "@stowage/core";

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
