import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createStorage } from "@stowage/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeIdentity } from "../src/migrate/store-identity.js";
import { runCli } from "./run-cli.js";

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
  .version;

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stowage-cli-contract-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The one JSON document a --json run printed on stdout. */
function document(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines.join("\n")) as Record<string, unknown>;
}

describe("stowage --version", () => {
  it("--version and -V print the package's version and exit 0", async () => {
    for (const flag of ["--version", "-V"]) {
      const run = await runCli([flag]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });
});

describe("--json failures are a document on stdout", () => {
  it("a bad URL is {ok:false, code: ERR_CONFIG, message} with exit 2", async () => {
    const run = await runCli(["health", "nope://x", "--json"]);
    expect(run.code).toBe(2);
    expect(document(run.stdout)).toMatchObject({
      ok: false,
      code: "ERR_CONFIG",
      message: expect.stringMatching(/nope/),
    });
  });

  it("an unknown option is {ok:false, code: ERR_USAGE, message} with exit 2", async () => {
    const run = await runCli(["gc", "--bogus", "--json"]);
    expect(run.code).toBe(2);
    expect(document(run.stdout)).toMatchObject({
      ok: false,
      code: "ERR_USAGE",
      message: expect.stringMatching(/bogus/),
    });
  });

  it("an unreachable backend is {ok:false, code: ERR_BACKEND_UNAVAILABLE} with exit 3", async () => {
    const run = await runCli(["gc", "redis://127.0.0.1:1", "--json"], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(3);
    expect(document(run.stdout)).toMatchObject({ ok: false, code: "ERR_BACKEND_UNAVAILABLE" });
  });

  it("without --json a failure prints nothing on stdout", async () => {
    const run = await runCli(["health", "nope://x"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
  });
});

describe("gc --json", () => {
  it("a successful gc says ok: true", async () => {
    const run = await runCli(["gc", `sqlite://${dir}/gc.db`, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(document(run.stdout)).toMatchObject({ ok: true, removed: { cache: 0, checkpoint: 0 } });
  });
});

describe("migrate onto itself", () => {
  it("refuses a --to that names the --from store through parameters, a relative path or a symlink", async () => {
    const db = join(dir, "same.db");
    const storage = await createStorage(`sqlite://${db}`);
    await storage.cache.set("k", 1);
    await storage.close();
    mkdirSync(join(dir, "real"), { recursive: true });
    symlinkSync(dir, join(dir, "link"));
    for (const to of [
      `sqlite://${db}?busyTimeout=100`,
      `sqlite:${relative(process.cwd(), db)}`,
      `sqlite://${join(dir, "link", "same.db")}`,
      `sqlite://${join(dir, "real", "..", "same.db")}`,
    ]) {
      const run = await runCli(["migrate", "--from", `sqlite://${db}`, "--to", to, "--json"]);
      expect(run.code, `${to}: ${run.stderr}`).toBe(2);
      expect(document(run.stdout)).toMatchObject({
        ok: false,
        code: "ERR_CONFIG",
        message: expect.stringMatching(/same store/),
      });
    }
  });

  it("store identity: servers compare hosts, ports and database; other files and other databases differ", () => {
    expect(storeIdentity("redis://h:6379/0?commandTimeout=5")).toBe(storeIdentity("redis://H"));
    expect(storeIdentity("redis://a:1,b:2")).toBe(storeIdentity("redis://b:2,a:1"));
    expect(storeIdentity("redis://h/1")).not.toBe(storeIdentity("redis://h/2"));
    expect(storeIdentity("sqlite:///tmp/a.db")).not.toBe(storeIdentity("sqlite:///tmp/b.db"));
    expect(storeIdentity("sqlite:///tmp/a")).not.toBe(storeIdentity("lmdb:///tmp/a"));
    expect(storeIdentity("memory://")).not.toBe(storeIdentity("memory://"));
    expect(storeIdentity("memory://x")).toBe(storeIdentity("memory://x"));
  });
});

describe("stowage bench --help", () => {
  it("says Usage: stowage bench, lists --json and shows examples", async () => {
    const run = await runCli(["bench", "--help"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Usage: stowage bench/);
    expect(run.stdout).toMatch(/--json/);
    expect(run.stdout).toMatch(/Examples:\n {2}stowage bench/);
  });
});

describe("stowage check --only", () => {
  it("--only lock prints the lock row and no cache or checkpoint row", async () => {
    const run = await runCli(["check", "memory://", "--only", "lock", "--quick", "--json"], { timeoutMs: 280_000 });
    expect(run.code, run.stderr).toBe(0);
    const contracts = Object.keys((document(run.stdout) as { contracts: Record<string, unknown> }).contracts);
    expect(contracts).toContain("lock");
    expect(contracts).not.toContain("cache");
    expect(contracts).not.toContain("checkpoint");
  }, 300_000);
});
