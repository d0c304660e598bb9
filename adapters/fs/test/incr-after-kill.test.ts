import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createStorage } from "@stowage/core";
import { afterAll, expect, it } from "vitest";
import { startFixture } from "./child-process.js";

const root = mkdtempSync(join(tmpdir(), "stowage-fs-incr-kill-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("a writer SIGKILLed while it holds a key's incr lease delays the next incr of that key by one poll, not the 10 s lease", async () => {
  const dir = join(root, "store");
  const storage = await createStorage(`${pathToFileURL(dir).href}?namespace=kill&sweepEveryMs=off`);
  try {
    await storage.cache.set("counter", 41);
    const holder = startFixture("mutex-holder.mjs", [dir, "kill", "counter"]);
    try {
      await holder.next((m) => m.holding === true);
      // While the holder runs, the key stays locked: an incr waits behind it.
      const waiting = storage.cache.incr("counter");
      const settled = await Promise.race([
        waiting.then(() => "done"),
        new Promise((r) => setTimeout(r, 500, "waiting")),
      ]);
      expect(settled, "incr while another live process holds the key").toBe("waiting");
      holder.process.kill("SIGKILL");
      await holder.exited;
      const killedAt = performance.now();
      expect(await waiting).toBe(42);
      // Generous: the lease the dead holder wrote runs 10 s; its key is freed as soon as it is gone.
      expect(performance.now() - killedAt).toBeLessThan(5_000);
    } finally {
      holder.process.kill("SIGKILL");
    }
  } finally {
    await storage.close();
  }
}, 30_000);
