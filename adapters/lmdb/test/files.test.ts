import { spawnSync } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OPEN_URL_WORKER } from "@stowage/conformance/testing";
import { createStorage, isStowageError } from "@stowage/core";
import { open } from "lmdb";
import { afterAll, describe, expect, it } from "vitest";
import { createLmdbStorage } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "stowage-lmdb-files-"));
const _fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(action: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await action();
  } catch (error) {
    if (isStowageError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe("lmdb files", () => {
  it("creates its directory 0700 and its files 0600", async () => {
    const path = join(dir, "private", "store");
    const storage = await createStorage(`lmdb://${path}`);
    await storage.cache.set("k", "v");
    await storage.close();
    expect(statSync(path).mode & 0o777).toBe(0o700);
    for (const file of ["data.mdb", "lock.mdb"]) expect(statSync(join(path, file)).mode & 0o777).toBe(0o600);
  });

  it("a data file that is not LMDB is ERR_CORRUPT_DATA at open, not a crash", async () => {
    const path = join(dir, "garbage");
    mkdirSync(path);
    writeFileSync(join(path, "data.mdb"), Buffer.from("this is not an lmdb file ".repeat(2000)));
    expect(await codeOf(() => createStorage(`lmdb://${path}`))).toBe("ERR_CORRUPT_DATA");
  });

  it("a truncated data file is ERR_CORRUPT_DATA at open", async () => {
    const path = join(dir, "truncated");
    const storage = await createStorage(`lmdb://${path}`);
    await storage.cache.set("k", "v");
    await storage.close();
    // The first meta page stays valid; the second is cut off.
    truncateSync(join(path, "data.mdb"), 8192 + 100);
    expect(await codeOf(() => createStorage(`lmdb://${path}`))).toBe("ERR_CORRUPT_DATA");
  });

  it("damaged pages inside the tree are ERR_CORRUPT_DATA, at open or when read", async () => {
    const path = join(dir, "damaged");
    const storage = createLmdbStorage({ path, namespace: "d" });
    await storage.cache.setMany(Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: "v".repeat(200) })));
    await storage.close();
    // Overwrite pages after the two meta pages (8 KiB each) with bytes that point nowhere.
    const fd = openSync(join(path, "data.mdb"), "r+");
    const junk = Buffer.alloc(8192 * 40, 0x41);
    writeSync(fd, junk, 0, junk.length, 8192 * 3);
    closeSync(fd);
    // Those pages hold the cache's root: found at open now; deeper damage is found by the read that reaches it.
    let reopened: ReturnType<typeof createLmdbStorage> | undefined;
    try {
      const code = await codeOf(async () => {
        reopened = createLmdbStorage({ path, namespace: "d" });
        for (let i = 0; i < 3000; i += 97) await reopened.cache.get(`k${i}`);
        await reopened.cache.stats();
      });
      expect(code).toBe("ERR_CORRUPT_DATA");
    } finally {
      await reopened?.close().catch(() => {});
    }
  });
});

describe("lmdb damaged files", () => {
  /** A store of `count` cache entries in a new directory, closed; returns its path and data file. */
  async function closedStore(name: string, count: number): Promise<{ path: string; data: string }> {
    const path = join(dir, name);
    const storage = createLmdbStorage({ path, namespace: "d" });
    await storage.cache.setMany(Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `value ${i}` })));
    await storage.close();
    return { path, data: join(path, "data.mdb") };
  }

  it("a data file cut short anywhere past its meta pages is ERR_CORRUPT_DATA at open, in a child process that survives (no SIGBUS)", async () => {
    const { path, data } = await closedStore("cut-anywhere", 2000);
    const size = statSync(data).size;
    for (const keep of [3 * 8192, Math.floor(size / 2), size - 8192, size - 1]) {
      copyFileSync(data, `${data}.whole`);
      truncateSync(data, keep);
      const result = spawnSync(process.execPath, [OPEN_URL_WORKER, `lmdb://${path}`], { encoding: "utf8" });
      renameSync(`${data}.whole`, data);
      expect(result.signal, `cut to ${keep} of ${size}`).toBeNull();
      expect(JSON.parse(result.stdout.trim()), `cut to ${keep} of ${size}`).toMatchObject({ code: "ERR_CORRUPT_DATA" });
    }
  });

  it("after a read meets a damaged page, reads of intact keys succeed at once (the read transaction is reset)", async () => {
    const { path, data } = await closedStore("bad-txn", 3000);
    const fd = openSync(data, "r+");
    // Pages somewhere in the middle of the tree point nowhere now.
    const junk = Buffer.alloc(8192 * 2, 0x41);
    writeSync(fd, junk, 0, junk.length, Math.floor(statSync(data).size / 8192 / 2) * 8192);
    closeSync(fd);
    const storage = createLmdbStorage({ path, namespace: "d" });
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 3000; i++) outcomes.push((await codeOf(() => storage.cache.get(`k${i}`))) ?? "ok");
      const failed = outcomes.findIndex((outcome) => outcome !== "ok");
      expect(failed, "no read met the damaged pages").toBeGreaterThanOrEqual(0);
      expect(outcomes[failed]).toBe("ERR_CORRUPT_DATA");
      // Without a reset, every read after the first failure failed with MDB_BAD_TXN in the same macrotask.
      expect(outcomes.filter((outcome) => outcome === "ok").length).toBeGreaterThan(failed);
      expect(new Set(outcomes)).toEqual(new Set(["ok", "ERR_CORRUPT_DATA"]));
      const intact = outcomes.lastIndexOf("ok");
      expect(await codeOf(() => storage.cache.get(`k${failed}`))).toBe("ERR_CORRUPT_DATA");
      expect(await storage.cache.get(`k${intact}`)).toBe(`value ${intact}`);
    } finally {
      await storage.close().catch(() => {});
    }
  });

  it("an environment made by lmdb-js directly is ERR_CORRUPT_DATA and left byte-identical (no database of ours added)", async () => {
    const path = join(dir, "foreign");
    const foreign = open({ path });
    await foreign.put("user:1", { name: "ada" });
    await foreign.close();
    const before = readFileSync(join(path, "data.mdb"));
    expect(await codeOf(() => createStorage(`lmdb://${path}`))).toBe("ERR_CORRUPT_DATA");
    expect(readFileSync(join(path, "data.mdb")).equals(before)).toBe(true);
  });
});

describe("lmdb configuration", () => {
  const bad = async (url: string) => codeOf(() => createStorage(url));

  it("rejects unknown and malformed URL options with ERR_CONFIG", async () => {
    expect(await bad(`lmdb://${join(dir, "c1")}?bogus=1`)).toBe("ERR_CONFIG");
    expect(await bad(`lmdb://${join(dir, "c2")}?sync=sometimes`)).toBe("ERR_CONFIG");
    expect(await bad(`lmdb://${join(dir, "c3")}?mapSize=huge`)).toBe("ERR_CONFIG");
    expect(await bad(`lmdb://${join(dir, "c4")}?sweepEveryMs=-5`)).toBe("ERR_CONFIG");
    expect(await bad("lmdb://somehost/var/data")).toBe("ERR_CONFIG");
  });

  it("accepts sync=true|false as full|off and reports the mode in health", async () => {
    for (const [given, mode] of [
      ["true", "full"],
      ["false", "off"],
      ["overlapping", "overlapping"],
    ] as const) {
      const storage = await createStorage(`lmdb://${join(dir, `sync-${given}`)}?sync=${given}`);
      const health = await storage.health();
      expect(health.ok).toBe(true);
      expect(health.cache.details?.sync).toBe(mode);
      await storage.close();
    }
  });

  it("one process cannot open one directory with two sync modes", async () => {
    const path = join(dir, "two-modes");
    const first = await createStorage(`lmdb://${path}?sync=full`);
    try {
      expect(await bad(`lmdb://${path}?sync=off`)).toBe("ERR_CONFIG");
      const same = await createStorage(`lmdb://${path}?sync=full&namespace=other`);
      await same.close();
    } finally {
      await first.close();
    }
  });

  it("a path under a regular file is ERR_CONFIG", async () => {
    const file = join(dir, "plain-file");
    writeFileSync(file, "x");
    expect(await bad(`lmdb://${file}/store`)).toBe("ERR_CONFIG");
  });
});
