import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage } from "@stowage/core";
import { afterAll, describe, expect, it } from "vitest";
import { startCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "stowage-gc-interrupt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("stowage gc interrupted", () => {
  it("a ^C during the cache sweep lets it finish, skips the checkpoint sweep and says so (exit 130)", async () => {
    const url = `sqlite://${dir}/gc.db`;
    const storage = await createStorage(url);
    // Enough expired entries that the cache sweep (one DELETE) outlasts the moment the signal is sent.
    for (let batch = 0; batch < 60; batch++) {
      await storage.cache.setMany(
        Array.from({ length: 5_000 }, (_, i) => ({ key: `k${batch}:${i}`, value: i, ttl: 1 })),
      );
    }
    await storage.checkpoint.put({ threadId: "t", payload: 1 }, { ttl: 1 });
    await storage.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const child = startCli(["gc", url, "--json"]);
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    // The process has opened the store (its WAL exists) and is sweeping: interrupt it.
    const wal = `${dir}/gc.db-wal`;
    rmSync(wal, { force: true });
    while (!existsSync(wal)) await new Promise((resolve) => setTimeout(resolve, 2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, stdout).toBe(130);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      code: "ERR_INTERRUPTED",
      message: "interrupted after 1 of 2 stages; re-run to resume",
      removed: { cache: 300_000 },
    });
    // The checkpoint sweep did not run: its expired checkpoint is still there for the re-run.
    const after = await createStorage(url);
    expect((await after.checkpoint.stats()).checkpoints).toBe(1);
    await after.close();
  }, 120_000);
});
