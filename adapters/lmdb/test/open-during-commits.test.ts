import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tempDir } from "@stowage/conformance/testing";
import { createStorage } from "@stowage/core";
import { describe, expect, it } from "vitest";

const writer = fileURLToPath(new URL("./fixtures/counting-writer.mjs", import.meta.url));

describe("opening an lmdb store while another process commits", () => {
  it("is never taken for damage: 60 opens during three processes' commits all succeed and read the writer's keys", async () => {
    const dir = await tempDir("lmdb-open-during-commits");
    const url = `lmdb://${dir.path}/store`;
    (await createStorage(url)).close();
    const children = [0, 1, 2].map((n) =>
      spawn(process.execPath, [writer, url, `w${n}`, "0"], { stdio: ["ignore", "pipe", "inherit"] }),
    );
    const child = children[0] as (typeof children)[number];
    try {
      let written = 0;
      child.stdout.on("data", (chunk: Buffer) => {
        written += chunk.toString().split("\n").length - 1;
      });
      while (written < 20) await new Promise((resolve) => setTimeout(resolve, 10));
      for (let i = 0; i < 60; i++) {
        const storage = await createStorage(url);
        expect(await storage.cache.get("w0:0")).toMatchObject({ i: 0 });
        await storage.close();
      }
      expect(child.exitCode).toBeNull();
    } finally {
      for (const c of children) c.kill("SIGKILL");
      await dir.remove();
    }
  }, 60_000);
});
