import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createStorage } from "@stowage/core";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-lmdb-durability-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/**
 * Starts a fixture and collects its lines; `until` decides when to SIGKILL it, checked on each
 * line (and, with `killAfterMs`, that long after the first line, whatever it printed).
 */
function runUntilKilled(
  script: string,
  args: string[],
  until: (lines: string[]) => boolean,
  killAfterMs?: number,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    const lines: string[] = [];
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    createInterface({ input: child.stdout }).on("line", (line) => {
      lines.push(line);
      if (lines.length === 1 && killAfterMs !== undefined) setTimeout(kill, killAfterMs);
      if (until(lines)) kill();
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(lines);
      else reject(new Error(`${script} exited with ${code} before it was killed`));
    });
  });
}

describe("lmdb durability: what an acknowledged write survives", () => {
  for (const mode of ["durability=process", "durability=full", "sync=overlapping", "sync=off"] as const) {
    it(`${mode}: a writer killed with SIGKILL mid-stream loses no write it acknowledged`, async () => {
      const url = `lmdb://${join(dir, `kill-${mode.replace("=", "-")}`)}?${mode}&namespace=durable`;
      // Kill at a moment that depends on the scheduler, not at a fixed count.
      const killAfter = 200 + Math.floor(Math.random() * 200);
      const printed = await runUntilKilled(fixture("writer.mjs"), [url], (lines) => lines.length >= killAfter);
      expect(printed.length).toBeGreaterThanOrEqual(killAfter);
      const reopened = await createStorage(url);
      try {
        const values = (await reopened.cache.getMany(printed)) as ({ i: number } | undefined)[];
        const lost = printed.filter((key, i) => values[i]?.i !== Number(key.slice(4)));
        expect(lost, "acknowledged keys missing after the kill").toEqual([]);
      } finally {
        await reopened.close();
      }
    }, 60_000);
  }

  // Not sync=overlapping: a survivor that recovers the sync mutex from a dead writer panics (README).
  for (const mode of ["durability=process", "durability=full", "sync=off"] as const) {
    it(`${mode}: a process that stays open while other writers are SIGKILLed mid-stream keeps committing`, async () => {
      const url = `lmdb://${join(dir, `survivor-${mode.replace("=", "-")}`)}?${mode}&namespace=survivor`;
      const survivor = await createStorage(url);
      try {
        for (let round = 0; round < 5; round++) {
          const killAfterMs = 30 + Math.floor(Math.random() * 120);
          await runUntilKilled(fixture("busy-writer.mjs"), [url], () => false, killAfterMs);
          await survivor.cache.set(`round:${round}`, round);
          await survivor.lock.tryAcquire(`round:${round}`, { ttl: 1_000 });
        }
        expect(await survivor.cache.get("round:4")).toBe(4);
      } finally {
        await survivor.close();
      }
    }, 60_000);
  }

  it("the default level: writers in several processes, one SIGKILLed, lose no acknowledged write and no increment", async () => {
    const url = `lmdb://${join(dir, "many-writers")}?namespace=many`;
    const finished = (prefix: string, count: number) =>
      new Promise<string[]>((resolve, reject) => {
        const child = spawn(process.execPath, [fixture("counting-writer.mjs"), url, prefix, String(count)], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        const lines: string[] = [];
        createInterface({ input: child.stdout }).on("line", (line) => lines.push(line));
        child.once("error", reject);
        child.once("exit", (code) =>
          code === 0 ? resolve(lines) : reject(new Error(`${prefix} exited with ${code}`)),
        );
      });
    const killAfterMs = 50 + Math.floor(Math.random() * 300);
    const [killed, ...done] = await Promise.all([
      runUntilKilled(fixture("counting-writer.mjs"), [url, "killed", "0"], () => false, killAfterMs),
      finished("a", 300),
      finished("b", 300),
      finished("c", 300),
    ]);
    expect(done.map((lines) => lines.length)).toEqual([300, 300, 300]);
    const acknowledged = [...killed, ...done.flat()];
    const reopened = await createStorage(url);
    try {
      const values = (await reopened.cache.getMany(acknowledged)) as ({ i: number } | undefined)[];
      const lost = acknowledged.filter((key, i) => values[i]?.i !== Number(key.slice(key.indexOf(":") + 1)));
      expect(lost, "acknowledged keys missing").toEqual([]);
      // The killed writer may have committed one increment it never printed.
      const total = Number(await reopened.cache.get("total"));
      expect(total).toBeGreaterThanOrEqual(acknowledged.length);
      expect(total).toBeLessThanOrEqual(acknowledged.length + 1);
    } finally {
      await reopened.close();
    }
  }, 120_000);

  it("a process killed inside a write transaction leaves nothing half-written and does not block other writers", async () => {
    const path = join(dir, "stuck");
    const storage = await createStorage(`lmdb://${path}?namespace=stuck`);
    try {
      await storage.cache.set("before", 1);
      await runUntilKilled(fixture("stuck-writer.mjs"), [path], (lines) => lines.includes("in-transaction"));
      // LMDB's writer mutex is robust: the dead holder's transaction is aborted, not inherited.
      const lease = await storage.lock.tryAcquire("after-crash", { ttl: 5_000 });
      expect(lease).toBeDefined();
      await storage.cache.set("after", 2);
      expect(await storage.cache.getMany(["before", "after"])).toEqual([1, 2]);
    } finally {
      await storage.close();
    }
    const { open } = await import("lmdb");
    const raw = open({ path, noSubdir: false, readOnly: true });
    try {
      expect(raw.get("half-written")).toBeUndefined();
    } finally {
      await raw.close();
    }
  }, 60_000);
});
