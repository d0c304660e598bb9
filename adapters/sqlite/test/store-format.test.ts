import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createStorage } from "@stowage/core";
import { afterAll, describe, expect, it } from "vitest";

interface Records {
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

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const records = JSON.parse(readFileSync(join(fixtures, "old-store.json"), "utf8")) as Records;
const root = mkdtempSync(join(tmpdir(), "stowage-sqlite-format-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of fixtures/old-store.db, written by fixtures/write-old-store.mjs before the open path checked ownership. */
function copyOfOldStore(): string {
  const path = join(root, `${Math.random().toString(36).slice(2)}.db`);
  cpSync(join(fixtures, "old-store.db"), path);
  return `sqlite://${path}`;
}

describe("a store written by the release before", () => {
  it("opens, reads every record it holds, and takes new writes", async () => {
    const storage = await createStorage({ url: copyOfOldStore(), namespace: records.namespace });
    try {
      for (const [key, value] of Object.entries(records.cache))
        expect(await storage.cache.get(key), key).toEqual(value);
      expect(await storage.cache.get(records.counter.key)).toBe(records.counter.value);
      for (const written of records.checkpoints) {
        const read = await storage.checkpoint.get(written.threadId, { id: written.id });
        expect(read?.payload).toEqual(written.payload);
        expect(read?.channelValues).toEqual(Object.fromEntries(written.blobs.map((b) => [b.channel, b.value])));
      }
      expect((await storage.checkpoint.get("thread-a"))?.id).toBe(records.checkpoints.at(-1)?.id);
      expect(await storage.cache.incr(records.counter.key)).toBe(records.counter.value + 1);
      const lease = await storage.lock.tryAcquire(records.lock.name);
      // The old store handed out tokens 1 and 2.
      expect(lease?.token).toBeGreaterThan(BigInt(records.lock.acquisitions));
      await lease?.release();
      const { id } = await storage.checkpoint.put({ threadId: "thread-a", payload: { step: 3 } });
      expect((await storage.checkpoint.get("thread-a"))?.id).toBe(id);
    } finally {
      await storage.close();
    }
  });
});
