import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createStorage } from "@stowage/core";
import { afterAll, expect, it } from "vitest";
import { startFixture } from "./child-process.js";

const root = mkdtempSync(join(tmpdir(), "stowage-fs-kill-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A value the overwriter wrote: {i, fill} with fill the digit i % 10, 100-350 KB long. */
function assertWhole(value: unknown): number {
  const { i, fill } = value as { i: number; fill: string };
  expect(Number.isInteger(i)).toBe(true);
  expect(fill.length).toBe(100_000 + (i % 6) * 50_000);
  expect(fill).toBe(String(i % 10).repeat(fill.length));
  return i;
}

it("a writer killed while overwriting a key never shows a torn value, and gc removes its temporary files", async () => {
  const dir = join(root, "store");
  const url = `${pathToFileURL(dir).href}?namespace=kill&sweepEveryMs=off`;
  const writer = startFixture("overwriter.mjs", [url]);
  const reader = await createStorage(url);
  let reads = 0;
  let seen = new Set<number>();
  try {
    await writer.next((m) => m.ready === true);
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      const value = await reader.cache.get("hot");
      seen.add(assertWhole(value));
      reads++;
    }
    writer.process.kill("SIGKILL");
    await writer.exited;
  } finally {
    writer.process.kill("SIGKILL");
    await reader.close();
  }
  expect(reads).toBeGreaterThan(10);
  expect(seen.size, "the reader saw the writer make progress").toBeGreaterThan(1);
  seen = new Set();

  const pid = writer.process.pid as number;
  const tmp = join(dir, "~tmp");
  // A kill mid-write usually leaves a temporary file; make sure one is there for gc to find.
  writeFileSync(join(tmp, `${pid}.999999.leftover.tmp`), "half a value");
  const reopened = await createStorage(url);
  try {
    assertWhole(await reopened.cache.get("hot"));
    expect(readdirSync(tmp).some((name) => name.startsWith(`${pid}.`))).toBe(true);
    expect(await reopened.cache.gc()).toBeGreaterThanOrEqual(1);
    expect(readdirSync(tmp).filter((name) => name.startsWith(`${pid}.`))).toEqual([]);
    assertWhole(await reopened.cache.get("hot"));
  } finally {
    await reopened.close();
  }
}, 30_000);
