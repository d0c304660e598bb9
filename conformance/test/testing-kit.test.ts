import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BackendUnavailableError, ConfigError } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { eventually, freePort, retrying, spawnJsonLines, tempDir, waitUntil } from "../src/testing/index.js";

const CHILD = fileURLToPath(new URL("./fixtures/json-lines-child.mjs", import.meta.url));

describe("the test kit", () => {
  it("freePort gives a loopback port nobody listens on, with its Cluster bus port free when asked", async () => {
    for (let i = 0; i < 5; i++) {
      const port = await freePort({ withBusPort: true });
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port + 10_000).toBeLessThan(65_536);
      for (const candidate of [port, port + 10_000]) {
        const server = createServer();
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(candidate, "127.0.0.1", () => resolve());
        });
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  it("waitUntil resolves once the check holds, and names what it waited for when it never does", async () => {
    let calls = 0;
    await waitUntil("the third call", () => ++calls >= 3, 5_000, 1);
    expect(calls).toBe(3);
    await expect(waitUntil("a thing that never happens", async () => false, 50, 5)).rejects.toThrow(
      /timed out after 50 ms waiting for a thing that never happens/,
    );
  });

  it("retrying retries only the errors it is told to, and gives up with the last one", async () => {
    let calls = 0;
    const value = await retrying(
      async () => {
        if (++calls < 3) throw new Error("transient");
        return "done";
      },
      (error) => (error as Error).message === "transient",
      5_000,
      1,
    );
    expect([value, calls]).toEqual(["done", 3]);
    calls = 0;
    const other = new Error("permanent");
    await expect(
      retrying(
        async () => {
          calls++;
          throw other;
        },
        () => false,
      ),
    ).rejects.toBe(other);
    expect(calls).toBe(1);
    await expect(
      retrying(
        async () => Promise.reject(new Error("transient")),
        () => true,
        30,
        5,
      ),
    ).rejects.toThrow("transient");
  });

  it("eventually retries a backend that is unavailable, but not any other error", async () => {
    let calls = 0;
    expect(
      await eventually(async () => {
        if (++calls < 2) throw new BackendUnavailableError("down for a moment");
        return calls;
      }, 5_000),
    ).toBe(2);
    const bad = new ConfigError("url", "is wrong");
    calls = 0;
    await expect(
      eventually(async () => {
        calls++;
        throw bad;
      }),
    ).rejects.toBe(bad);
    expect(calls).toBe(1);
  });

  it("spawnJsonLines: waitFor leaves a line, take removes it, a non-JSON line is text, send reaches stdin", async () => {
    const child = spawnJsonLines(CHILD);
    expect(await child.waitFor((m) => m.step === 1, 10_000)).toEqual({ step: 1 });
    expect(await child.waitFor((m) => m.step === 1, 10_000)).toEqual({ step: 1 });
    expect(await child.take((m) => m.step !== undefined, 10_000)).toEqual({ step: 1 });
    expect(await child.take((m) => m.step !== undefined, 10_000)).toEqual({ step: 2 });
    expect(await child.waitFor((m) => m.text !== undefined, 10_000)).toEqual({ text: "not json" });
    child.send("hello");
    expect(await child.take((m) => "echo" in m, 10_000)).toEqual({ echo: "hello" });
    expect(await child.exited).toBe(0);
  });

  it("spawnJsonLines rejects a wait the child exits without satisfying, naming the child", async () => {
    const child = spawnJsonLines(CHILD, [], { label: "the echo child" });
    const never = child.waitFor((m) => m.step === 99, 20_000);
    child.send("bye");
    await expect(never).rejects.toThrow(/the echo child exited with 0 before printing a matching line/);
  });

  it("tempDir makes a private directory and remove deletes it with its contents", async () => {
    const scratch = await tempDir("kit-test");
    writeFileSync(join(scratch.path, "file"), "x");
    expect(scratch.path).toMatch(/stowage-kit-test-/);
    await scratch.remove();
    expect(existsSync(scratch.path)).toBe(false);
  });
});
