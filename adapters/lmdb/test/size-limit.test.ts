import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createStorage } from "@stowage/core";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-lmdb-size-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe("lmdb size limit across processes", () => {
  it("three processes filling one size-limited namespace keep it within the limit", async () => {
    const limit = 32 * 1024;
    const url = `lmdb://${join(dir, "shared-limit")}?namespace=limited&maxSize=${limit}`;
    const fill = (prefix: string) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [fixture("fill-cache.mjs"), url, prefix, "150"], { stdio: "inherit" });
        child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`fill ${prefix} exited ${code}`))));
      });
    await Promise.all([fill("a"), fill("b"), fill("c")]);
    const storage = await createStorage(url);
    try {
      const stats = await storage.cache.stats();
      expect(stats.bytes).toBeLessThanOrEqual(limit);
      expect(stats.entries).toBeGreaterThan(10);
      // Each writer wrote 149 entries after its first; the limit holds about 30.
      expect(await storage.cache.getMany(["a:0", "b:0", "c:0"])).toEqual([undefined, undefined, undefined]);
    } finally {
      await storage.close();
    }
  }, 60_000);
});
