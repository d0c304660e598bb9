import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createStorage, type Storage } from "@stowage/core";
import { afterAll, describe, expect, it } from "vitest";

const root = mkdtempSync(join(tmpdir(), "stowage-fs-long-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function open(dir: string): Promise<Storage> {
  return createStorage({ namespace: "old", cache: `file://${dir}`, lock: "memory://", checkpoint: `file://${dir}` });
}

/** Recreates a store the fixture lists (write-long-names.mjs): its directories, files and index symlinks. */
function materialise(fixture: string, dir: string): void {
  const { entries } = JSON.parse(readFileSync(fixture, "utf8")) as {
    entries: { path: string; dir?: true; file?: string; link?: string }[];
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const entry of entries) {
    const path = join(dir, entry.path);
    if (entry.dir) mkdirSync(path, { mode: 0o700 });
    else if (entry.link !== undefined) symlinkSync(entry.link, path);
    else writeFileSync(path, Buffer.from(entry.file ?? "", "base64"), { mode: 0o600 });
  }
}

async function listed(storage: Storage, threadId?: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const c of storage.checkpoint.list(threadId ? { threadId } : {}))
    ids.push(`${c.threadId}/${c.ns}/${c.id}`);
  return ids;
}

describe("file: identifiers of any length the contract accepts", () => {
  it("1024-byte thread, ns, id, channel, version and task id together are stored, listed and removed", async () => {
    const dir = join(root, "max");
    const storage = await open(dir);
    const max = (c: string) => c.repeat(1024 / Buffer.byteLength(c));
    const [threadId, ns, id, channel, version, taskId] = [max("é"), max("🦄"), max("i"), max("c"), max("v"), max("k")];
    try {
      await storage.checkpoint.put({
        threadId,
        ns,
        id,
        payload: 1,
        channels: { [channel]: version },
        blobs: [{ channel, version, value: "b" }],
      });
      await storage.checkpoint.putWrites(threadId, { ns, checkpointId: id }, [
        { taskId, index: 0, channel, value: "w" },
      ]);
      const loaded = await storage.checkpoint.get(threadId, { ns });
      expect(loaded?.id).toBe(id);
      expect(loaded?.channelValues).toEqual({ [channel]: "b" });
      expect(loaded?.pendingWrites.map((w) => w.taskId)).toEqual([taskId]);
      expect(await listed(storage)).toEqual([`${threadId}/${ns}/${id}`]);
      expect(await listed(storage, threadId)).toEqual([`${threadId}/${ns}/${id}`]);
      expect(await storage.checkpoint.stats()).toMatchObject({ threads: 1, checkpoints: 1 });
      expect(await storage.checkpoint.prune(threadId, { keepLast: 0 })).toBe(1);
      expect(await storage.checkpoint.countThread(threadId)).toBe(0);
      expect(await storage.checkpoint.stats()).toMatchObject({ threads: 0, checkpoints: 0 });
      await storage.checkpoint.put({ threadId, ns, id, payload: 2 });
      await storage.checkpoint.deleteThread(threadId);
      expect(await listed(storage)).toEqual([]);
    } finally {
      await storage.close();
    }
  });

  it("a store written before long names were hashed reads its long thread, ns, blob and write names", async () => {
    const dir = join(root, "v1");
    materialise(fileURLToPath(new URL("./fixtures/long-names-v1.json", import.meta.url)), dir);
    const storage = await open(dir);
    const thread = `thread-${"t".repeat(150)}`;
    const ns = `ns-${"n".repeat(150)}`;
    const channel = `channel-${"c".repeat(300)}`;
    try {
      const loaded = await storage.checkpoint.get(thread, { ns });
      expect(loaded?.payload).toEqual({ step: 1 });
      expect(loaded?.channelValues).toEqual({ [channel]: ["long", "blob"] });
      expect(loaded?.pendingWrites.map((w) => w.value)).toEqual(["w0"]);
      expect(await listed(storage, thread)).toEqual([`${thread}/${ns}/1ef00000-0000-6000-8000-000000000001`]);
      expect((await storage.checkpoint.stats()).threads).toBe(2);
      await storage.checkpoint.putWrites(thread, { ns, checkpointId: "1ef00000-0000-6000-8000-000000000001" }, [
        { taskId: "new", index: 0, channel: "c", value: "w1" },
      ]);
      expect((await storage.checkpoint.get(thread, { ns }))?.pendingWrites.map((w) => w.value)).toEqual(["w0", "w1"]);
      await storage.checkpoint.deleteThread(thread);
      expect(await storage.checkpoint.get(thread, { ns })).toBeUndefined();
      expect((await storage.checkpoint.get("short"))?.payload).toBe(2);
    } finally {
      await storage.close();
    }
  });
});
