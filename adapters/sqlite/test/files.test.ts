import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OPEN_URL_WORKER } from "@stowage/conformance/testing";
import { createStorage, isStowageError, type StowageErrorCode } from "@stowage/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createSqliteStorage } from "../src/index.js";
import { APPLICATION_ID, migrate, SCHEMA_VERSION } from "../src/schema.js";
import { cleanEnv, runFixture, useTempDir } from "./helpers.js";

const mode = (path: string) => statSync(path).mode & 0o777;

async function rejection(action: Promise<unknown>): Promise<{ code?: StowageErrorCode; message: string }> {
  try {
    await action;
  } catch (error) {
    return { ...(isStowageError(error) ? { code: error.code } : {}), message: (error as Error).message };
  }
  throw new Error("expected a rejection");
}

describe("sqlite files", () => {
  const tmp = useTempDir();

  it("creates missing directories 0700 and the database, WAL and shm files 0600", async () => {
    const dir = join(tmp.path, "a", "b");
    const storage = await createStorage(`sqlite://${join(dir, "stowage.db")}`);
    await storage.cache.set("k", "v");
    expect(mode(join(tmp.path, "a")).toString(8)).toBe("700");
    expect(mode(dir).toString(8)).toBe("700");
    for (const file of ["stowage.db", "stowage.db-wal", "stowage.db-shm"]) {
      expect(mode(join(dir, file)).toString(8), file).toBe("600");
    }
    await storage.close();
  });

  it("stamps the file with the stowage application id and the schema version, in WAL mode", async () => {
    const storage = await createStorage(tmp.url());
    await storage.close();
    const db = new Database(join(tmp.path, "stowage.db"), { readonly: true });
    expect(db.pragma("application_id", { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });

  it("synchronous is NORMAL by default and FULL when asked", async () => {
    const normal = await createStorage(tmp.url("normal.db"));
    const full = await createStorage(`${tmp.url("full.db")}?synchronous=full`);
    expect((await normal.health()).cache.details?.synchronous).toBe("normal");
    expect((await full.health()).cache.details?.synchronous).toBe("full");
    await Promise.all([normal.close(), full.close()]);
  });

  it("a file of random bytes is ERR_CORRUPT_DATA at open, not a crash", async () => {
    const path = join(tmp.path, "garbage.db");
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    const error = await rejection(createStorage(`sqlite://${path}`));
    expect(error.code).toBe("ERR_CORRUPT_DATA");
    expect(error.message).toContain(path);
  });

  it("a database whose pages are damaged is ERR_CORRUPT_DATA", async () => {
    const path = join(tmp.path, "damaged.db");
    const storage = await createStorage(`sqlite://${path}`);
    await storage.cache.set("k", "v");
    await storage.close();
    const bytes = Buffer.alloc(statSync(path).size, 0xff);
    Buffer.from("SQLite format 3\0").copy(bytes); // a valid header over garbage pages
    writeFileSync(path, bytes);
    expect((await rejection(createStorage(`sqlite://${path}`))).code).toBe("ERR_CORRUPT_DATA");
  });

  for (const journal of ["DELETE", "WAL"]) {
    it(`another application's SQLite database (journal ${journal}) is ERR_CORRUPT_DATA and left byte-identical, with no -wal or -shm beside it`, async () => {
      const path = join(tmp.path, `foreign-${journal}.db`);
      const foreign = new Database(path);
      foreign.pragma(`journal_mode = ${journal}`);
      foreign.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada');");
      foreign.close();
      const before = readFileSync(path);
      const error = await rejection(createStorage(`sqlite://${path}`));
      expect(error.code).toBe("ERR_CORRUPT_DATA");
      expect(error.message).toContain("another application");
      // Bytes 18 and 19 say the journal mode: opening it read-write would have switched them to WAL (2).
      expect(readFileSync(path).equals(before), "the file changed").toBe(true);
      expect(readdirSync(tmp.path).filter((name) => name.startsWith(`foreign-${journal}.db`))).toEqual([
        `foreign-${journal}.db`,
      ]);
    });
  }

  it("an empty file is refused with ERR_CORRUPT_DATA and left empty: stowage never leaves one (it creates files whole)", async () => {
    const path = join(tmp.path, "empty.db");
    writeFileSync(path, "");
    const error = await rejection(createStorage(`sqlite://${path}`));
    expect(error.code).toBe("ERR_CORRUPT_DATA");
    expect(error.message).toContain("empty");
    expect(statSync(path).size).toBe(0);
    expect(readdirSync(tmp.path)).toEqual(["empty.db"]);
  });

  it("a file an older release created in place, its stamp still only in the -wal (another process has it open), opens", async () => {
    const path = join(tmp.path, "in-flight.db");
    // How releases before this one made a file: WAL first (page 1 in the main file, no stamp), then the schema in the WAL.
    const older = new Database(path);
    older.pragma("journal_mode = WAL");
    older.pragma("wal_autocheckpoint = 0");
    migrate(older, path);
    const header = readFileSync(path).subarray(0, 100);
    expect(header.readUInt32BE(68), "the main file is not stamped yet").toBe(0);
    try {
      const storage = await createStorage(`sqlite://${path}`);
      await storage.cache.set("k", "v");
      expect(await storage.cache.get("k")).toBe("v");
      await storage.close();
    } finally {
      older.close();
    }
  });

  it("a database cut short inside its last page is ERR_CORRUPT_DATA at open, not a page with fewer rows", async () => {
    const path = join(tmp.path, "cut.db");
    const storage = await createStorage(`sqlite://${path}`);
    for (let i = 0; i < 50; i++) await storage.cache.set(`k${i}`, "v".repeat(500));
    await storage.close();
    truncateSync(path, statSync(path).size - 4000);
    expect((await rejection(createStorage(`sqlite://${path}`))).code).toBe("ERR_CORRUPT_DATA");
  });

  it("a header byte stowage never changes (here the file format version) is ERR_CORRUPT_DATA, not a read-only store", async () => {
    const path = join(tmp.path, "header.db");
    (await createStorage(`sqlite://${path}`)).close();
    const bytes = readFileSync(path);
    bytes[18] = 3;
    writeFileSync(path, bytes);
    expect((await rejection(createStorage(`sqlite://${path}`))).code).toBe("ERR_CORRUPT_DATA");
  });

  it("a lowered schema version (the header says 1, the tables are version 2's) is ERR_CORRUPT_DATA, not a failed migration", async () => {
    const path = join(tmp.path, "version.db");
    (await createStorage(`sqlite://${path}`)).close();
    const db = new Database(path);
    db.pragma("user_version = 1");
    db.close();
    expect((await rejection(createStorage(`sqlite://${path}`))).code).toBe("ERR_CORRUPT_DATA");
  });

  it("a file from a newer schema version is refused with ERR_CONFIG", async () => {
    const path = join(tmp.path, "future.db");
    (await createStorage(`sqlite://${path}`)).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const error = await rejection(createStorage(`sqlite://${path}`));
    expect(error.code).toBe("ERR_CONFIG");
    expect(error.message).toContain("newer");
  });

  it("a read-only directory is ERR_CONFIG at open, naming the path", async (context) => {
    const dir = join(tmp.path, "readonly");
    mkdirSync(dir);
    let unmount = () => {};
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; a read-only mount (EROFS) stops root too.
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir], { stdio: "ignore" });
        unmount = () => execFileSync("umount", [dir]);
      } catch {
        console.log("[sqlite] read-only directory test skipped: running as root and cannot mount a read-only tmpfs");
        context.skip();
      }
    } else {
      chmodSync(dir, 0o555);
    }
    try {
      const error = await rejection(createStorage(`sqlite://${join(dir, "stowage.db")}`));
      expect(error).toMatchObject({ code: "ERR_CONFIG", message: expect.stringContaining(dir) });
    } finally {
      unmount();
    }
  });

  it("unknown parameters, bad values and hosts are ERR_CONFIG naming the field", async () => {
    const url = tmp.url();
    expect(await rejection(createStorage(`${url}?journal=off`))).toMatchObject({
      code: "ERR_CONFIG",
      message: expect.stringContaining("url.journal"),
    });
    expect(await rejection(createStorage(`${url}?synchronous=off`))).toMatchObject({
      code: "ERR_CONFIG",
      message: expect.stringContaining("synchronous"),
    });
    expect(await rejection(createStorage(`${url}?busyTimeout=-1`))).toMatchObject({ code: "ERR_CONFIG" });
    expect(await rejection(createStorage("sqlite://example.com/x.db"))).toMatchObject({ code: "ERR_CONFIG" });
    expect(await rejection(createStorage({ url, cache: { url, options: { colour: "blue" } } }))).toMatchObject({
      code: "ERR_CONFIG",
      message: expect.stringContaining("options.colour"),
    });
  });

  it("createSqliteStorage opens a path with typed options", async () => {
    const storage = createSqliteStorage({ path: join(tmp.path, "typed.db"), namespace: "app", synchronous: "full" });
    await storage.cache.set("k", 1);
    expect(await storage.cache.get("k")).toBe(1);
    expect((await storage.health()).cache.details).toMatchObject({ synchronous: "full" });
    await storage.close();
    await expect(storage.cache.get("k")).rejects.toMatchObject({ code: "ERR_CLOSED" });
  });

  it("createStorage() with nothing configured opens SQLite in ./.stowage/, owner-only", () => {
    const { lines, stderr } = runFixture("default-storage.mjs", [], { cwd: tmp.path, env: cleanEnv() });
    const path = join(tmp.path, ".stowage", "stowage.db");
    expect(lines, stderr).toEqual([
      {
        backend: "sqlite",
        lockBackend: "sqlite",
        path,
        lockPath: path,
        value: "hello",
        modes: { dir: "700", db: "600", wal: "600", shm: "600" },
      },
    ]);
  });

  it("CACHE_DIR and LOCK_DIR put the databases in those directories", () => {
    const cacheDir = join(tmp.path, "cache");
    const lockDir = join(tmp.path, "locks");
    const { lines, stderr } = runFixture("default-storage.mjs", [], {
      cwd: tmp.path,
      env: cleanEnv({ CACHE_DIR: cacheDir, LOCK_DIR: lockDir, CACHE_MAX_SIZE: "1mb" }),
    });
    expect(lines, stderr).toEqual([
      expect.objectContaining({
        backend: "sqlite",
        path: join(cacheDir, "stowage.db"),
        lockPath: join(lockDir, "stowage.db"),
        modes: { dir: "700", db: "600", wal: "600", shm: "600" },
      }),
    ]);
    // CACHE_MAX_SIZE reached the cache's file: its size-limit objects exist there and not in the lock's.
    const limitIndex = (path: string) => {
      const db = new Database(path, { readonly: true });
      const found = db.prepare("SELECT name FROM sqlite_schema WHERE name = 'cache_entries_lru'").get();
      db.close();
      return found !== undefined;
    };
    expect(limitIndex(join(cacheDir, "stowage.db"))).toBe(true);
    expect(limitIndex(join(lockDir, "stowage.db"))).toBe(false);
  });

  it("8 processes opening a new file at once all open it, and it is created and migrated once", async () => {
    const url = tmp.url("fresh.db");
    const runs = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<string>((resolve) => {
            const child = spawn(process.execPath, [OPEN_URL_WORKER, url], { env: cleanEnv() });
            let out = "";
            child.stdout.on("data", (chunk) => {
              out += chunk;
            });
            child.once("exit", () => resolve(out.trim()));
          }),
      ),
    );
    expect(runs).toEqual(Array(8).fill(JSON.stringify({ opened: true })));
    const db = new Database(join(tmp.path, "fresh.db"), { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });
});
