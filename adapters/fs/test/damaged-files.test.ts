import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isStowageError, type Storage } from "@stowage/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createFsStorage } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "stowage-fs-damage-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const opened: Storage[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((storage) => storage.close()));
});
let stores = 0;

function open(): { storage: Storage; dir: string } {
  const dir = join(root, `store-${++stores}`);
  const storage = createFsStorage({ dir, namespace: "d", sweepEveryMs: 0 });
  opened.push(storage);
  return { storage, dir };
}

/** Every file under `dir` whose name ends with `suffix`. */
function filesEndingWith(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name));
}

const hex = (text: string) => Buffer.from(text).toString("hex");
const fileOf = (dir: string, suffix: string, text: string) => {
  const found = filesEndingWith(dir, `${hex(text)}${suffix}`);
  expect(found, `${text}${suffix}`).toHaveLength(1);
  return found[0] as string;
};

async function codeOf(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
    return "no error";
  } catch (error) {
    return isStowageError(error) ? error.code : `${(error as Error).name}: ${(error as Error).message}`;
  }
}

async function drain(items: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function patch(path: string, at: number, bytes: Buffer): void {
  const content = readFileSync(path);
  bytes.copy(content, at);
  writeFileSync(path, content);
}

describe("fs: a damaged checkpoint is ERR_CORRUPT_DATA, never another checkpoint", () => {
  for (const [name, damage] of [
    ["its 4-byte header flipped", (path: string) => patch(path, 0, Buffer.from([0xff, 0xff, 0xff, 0xff]))],
    ["cut to 0 bytes", (path: string) => truncateSync(path, 0)],
    ["cut to 3 bytes", (path: string) => truncateSync(path, 3)],
    ["cut in its payload", (path: string) => truncateSync(path, lstatSync(path).size - 5)],
  ] as const) {
    it(`the newest checkpoint with ${name}: get(thread) and list fail, they do not fall back to the previous one`, async () => {
      const { storage, dir } = open();
      const older = await storage.checkpoint.put({ threadId: "t", payload: "older" });
      const newest = await storage.checkpoint.put({ threadId: "t", parentId: older.id, payload: "newest" });
      damage(fileOf(dir, ".c", newest.id));
      expect(await codeOf(() => storage.checkpoint.get("t"))).toBe("ERR_CORRUPT_DATA");
      expect(await codeOf(() => storage.checkpoint.get("t", { id: newest.id }))).toBe("ERR_CORRUPT_DATA");
      expect(await codeOf(() => drain(storage.checkpoint.list({ threadId: "t" })))).toBe("ERR_CORRUPT_DATA");
      expect(await codeOf(() => drain(storage.checkpoint.list()))).toBe("ERR_CORRUPT_DATA");
      // The undamaged one still reads on its own.
      expect((await storage.checkpoint.get("t", { id: older.id }))?.payload).toBe("older");
    });
  }
});

describe("fs: a corrupt length field is ERR_CORRUPT_DATA in every record kind", () => {
  it("a cache entry's value length (small and 100 KB values): not absent, not ERR_BACKEND_UNAVAILABLE", async () => {
    const { storage, dir } = open();
    await storage.cache.set("small", "s".repeat(50));
    await storage.cache.set("large", "l".repeat(100_000));
    const length = Buffer.alloc(8);
    length.writeDoubleLE(1e15, 0);
    for (const key of ["small", "large"]) {
      patch(fileOf(dir, ".v", key), 12, length);
      expect(await codeOf(() => storage.cache.get(key)), key).toBe("ERR_CORRUPT_DATA");
      expect(await codeOf(() => storage.cache.incr(key)), key).toBe("ERR_CORRUPT_DATA");
    }
    expect(await codeOf(() => drain(storage.cache.keys()))).toBe("ERR_CORRUPT_DATA");
  });

  it("a checkpoint's, a pending write's and a blob's length: the record fails, the others read", async () => {
    const { storage, dir } = open();
    const { id } = await storage.checkpoint.put({
      threadId: "t",
      payload: "p",
      channels: { c: 1 },
      blobs: [{ channel: "c", version: 1, value: "blob value" }],
    });
    await storage.checkpoint.putWrites("t", { checkpointId: id }, [{ taskId: "w", index: 0, channel: "c", value: 1 }]);
    const huge = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]);
    for (const suffix of [".x", ".b", ".c"]) {
      const [file] = filesEndingWith(dir, suffix);
      patch(file as string, 0, huge);
      expect(await codeOf(() => storage.checkpoint.get("t")), suffix).toBe("ERR_CORRUPT_DATA");
    }
  });

  it("a blob with one flipped byte is ERR_CORRUPT_DATA, not a different channel value", async () => {
    const { storage, dir } = open();
    await storage.checkpoint.put({
      threadId: "t",
      payload: "p",
      channels: { c: 1 },
      blobs: [{ channel: "c", version: 1, value: "blob value" }],
    });
    const [blob] = filesEndingWith(dir, ".b");
    const bytes = readFileSync(blob as string);
    const at = bytes.indexOf("blob value");
    patch(blob as string, at >= 0 ? at : bytes.length - 6, Buffer.from("B"));
    expect(await codeOf(() => storage.checkpoint.get("t"))).toBe("ERR_CORRUPT_DATA");
  });
});

describe("fs: damaged index and lease entries", () => {
  it("a damaged cross-thread index entry fails list(), it does not drop that checkpoint from the page", async () => {
    const { storage, dir } = open();
    await storage.checkpoint.put({ threadId: "a", payload: 1 });
    const { id } = await storage.checkpoint.put({ threadId: "b", payload: 2 });
    const [entry] = filesEndingWith(join(dir, "d", "checkpoints", "index"), ".i").filter((path) =>
      path.includes(hex(id).slice(-20)),
    );
    const target = readlinkSync(entry as string);
    unlinkSync(entry as string);
    symlinkSync(target.replace('"b"', '"c"'), entry as string);
    expect(await codeOf(() => drain(storage.checkpoint.list()))).toBe("ERR_CORRUPT_DATA");
    expect((await storage.checkpoint.get("b"))?.payload).toBe(2);
  });

  it("a changed digit in a held lease's entry is ERR_CORRUPT_DATA: it never frees the name or moves the token", async () => {
    const { storage, dir } = open();
    const lease = await storage.lock.acquire("job", { ttl: 3_600_000 });
    const [log] = filesEndingWith(join(dir, "d", "locks"), `${hex("job")}.l`);
    const entry = join(log as string, String(lease.token));
    const target = readlinkSync(entry);
    unlinkSync(entry);
    // The expiry moved an hour back: without a check the name would look free.
    const [token = "", expiresAt = "", ...rest] = target.split(":");
    symlinkSync([token, String(Number(expiresAt) - 7_200_000), ...rest].join(":"), entry);
    expect(await codeOf(() => storage.lock.tryAcquire("job", { ttl: 1000 }))).toBe("ERR_CORRUPT_DATA");
    expect(await codeOf(() => storage.lock.inspect("job"))).toBe("ERR_CORRUPT_DATA");
  });
});

describe("fs: damaged cache entries", () => {
  it("a cut or flipped entry is ERR_CORRUPT_DATA for get, has and keys; set replaces it; gc removes a cut one and counts it", async () => {
    const { storage, dir } = open();
    for (const key of ["whole", "cut", "flipped", "replaced"]) await storage.cache.set(key, key.repeat(30));
    const cut = fileOf(dir, ".v", "cut");
    truncateSync(cut, 40);
    truncateSync(fileOf(dir, ".v", "replaced"), 0);
    const flipped = fileOf(dir, ".v", "flipped");
    patch(flipped, lstatSync(flipped).size - 1, Buffer.from("F"));
    for (const key of ["cut", "flipped", "replaced"]) {
      expect(await codeOf(() => storage.cache.get(key)), key).toBe("ERR_CORRUPT_DATA");
      expect(await codeOf(() => storage.cache.has(key)), key).toBe("ERR_CORRUPT_DATA");
    }
    expect(await codeOf(() => drain(storage.cache.keys()))).toBe("ERR_CORRUPT_DATA");
    expect(await storage.cache.get("whole")).toBe("whole".repeat(30));
    await storage.cache.set("replaced", "again");
    expect(await storage.cache.get("replaced")).toBe("again");
    // gc reads headers only: it removes (and counts) an entry whose header or size is wrong; one
    // whose value bytes are damaged stays ERR_CORRUPT_DATA until it is set or deleted.
    expect(await storage.cache.gc()).toBe(1);
    expect(existsSync(cut)).toBe(false);
    expect(await storage.cache.get("cut")).toBeUndefined();
    expect(await codeOf(() => storage.cache.get("flipped"))).toBe("ERR_CORRUPT_DATA");
    expect(await storage.cache.delete("flipped")).toBe(true);
    expect(await storage.cache.get("flipped")).toBeUndefined();
  });
});
