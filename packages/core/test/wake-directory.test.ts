import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WakeDirectory } from "@stowage/core";
import { afterEach, describe, expect, it } from "vitest";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function wakeDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "stowage-wake-")), "lock-wake");
  dirs.push(dir);
  return dir;
}

describe("wake directory", () => {
  it("a release through one opener wakes a waiter of another opener of the directory (the cross-process path)", async () => {
    const dir = wakeDir();
    const waiter = new WakeDirectory(dir);
    const releaser = new WakeDirectory(dir);
    try {
      const woken = waiter.wait("train:model:1", 60_000);
      // The waiter's file and watch exist once wait has subscribed, which it does synchronously.
      releaser.notify("train:model:1");
      await expect(woken).resolves.toBe(true);
    } finally {
      waiter.close();
      releaser.close();
    }
  });

  it("a release of another name, however alike, does not wake the waiter", async () => {
    const dir = wakeDir();
    const waiter = new WakeDirectory(dir);
    const releaser = new WakeDirectory(dir);
    try {
      const woken = waiter.wait("a/b", 150);
      releaser.notify("a\\b");
      releaser.notify("a/b ");
      await expect(woken).resolves.toBe(false);
    } finally {
      waiter.close();
      releaser.close();
    }
  });

  it("a release nobody waits for writes no file and throws nothing", () => {
    const dir = wakeDir();
    const releaser = new WakeDirectory(dir);
    expect(() => releaser.notify("never-waited")).not.toThrow();
    releaser.close();
  });

  it("after close a wait just sleeps its bound (polling), never hangs", async () => {
    const dir = wakeDir();
    const waiter = new WakeDirectory(dir);
    waiter.close();
    await expect(waiter.wait("x", 20)).resolves.toBe(false);
  });
});
