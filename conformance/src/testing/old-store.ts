import { readFileSync } from "node:fs";
import type { Storage } from "@stowage/core";
import { expect } from "vitest";

/** What a fixture store written by the release before holds (its JSON manifest beside it). */
export interface OldStoreRecords {
  namespace: string;
  cache: Record<string, unknown>;
  counter: { key: string; value: number };
  checkpoints: {
    threadId: string;
    id: string;
    payload: unknown;
    channels: Record<string, string>;
    blobs: { channel: string; value: unknown }[];
  }[];
  lock: { name: string; acquisitions: number };
}

/** Reads a fixture's manifest. */
export function readOldStoreRecords(path: string): OldStoreRecords {
  return JSON.parse(readFileSync(path, "utf8")) as OldStoreRecords;
}

/**
 * Checks that `storage` (opened on a copy of an old store, in `records.namespace`) reads every
 * record the manifest lists, hands out lock tokens above the old ones, and takes new writes.
 */
export async function expectOldStoreReadable(storage: Storage, records: OldStoreRecords): Promise<void> {
  for (const [key, value] of Object.entries(records.cache)) expect(await storage.cache.get(key), key).toEqual(value);
  expect(await storage.cache.get(records.counter.key)).toBe(records.counter.value);
  for (const written of records.checkpoints) {
    const read = await storage.checkpoint.get(written.threadId, { id: written.id });
    expect(read?.payload).toEqual(written.payload);
    expect(read?.channelValues).toEqual(Object.fromEntries(written.blobs.map((b) => [b.channel, b.value])));
  }
  const lastThread = records.checkpoints.at(-1)?.threadId ?? "thread-a";
  expect((await storage.checkpoint.get(lastThread))?.id).toBe(records.checkpoints.at(-1)?.id);
  expect(await storage.cache.incr(records.counter.key)).toBe(records.counter.value + 1);
  const lease = await storage.lock.tryAcquire(records.lock.name);
  expect(lease?.token).toBeGreaterThan(BigInt(records.lock.acquisitions));
  await lease?.release();
  const { id } = await storage.checkpoint.put({ threadId: lastThread, payload: { step: 3 } });
  expect((await storage.checkpoint.get(lastThread))?.id).toBe(id);
}
