import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Backend, driverMembers, isStowageError, type StowageAdapter } from "@stowage/core";
import { adapter as fs } from "@stowage/fs";
import { adapter as lmdb } from "@stowage/lmdb";
import { adapter as memory } from "@stowage/memory";
import { adapter as redisAdapter } from "@stowage/redis";
import { freePort, RedisProcess } from "@stowage/redis/testing";
import { adapter as sqlite } from "@stowage/sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** Calls `call` and reports how it failed: thrown, rejected, or failed on the first step of what it returned. */
async function failureOf(call: () => unknown): Promise<unknown> {
  try {
    const result = call();
    if (result instanceof Promise) await result;
    else if (result !== null && typeof result === "object" && Symbol.asyncIterator in result) {
      await (result as AsyncIterable<unknown>)[Symbol.asyncIterator]().next();
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

function open(adapter: StowageAdapter, url: string): Promise<Backend> {
  return adapter.open({ url: new URL(url), params: new URL(url).searchParams, options: {} });
}

const ARGS = ["key", "value", 1, 1, 1];

/** Every method of every driver the backend hands out, called after close, fails with ERR_CLOSED: none bypasses the edge. */
async function expectEveryMethodClosed(backend: Backend): Promise<string[]> {
  const drivers = { cache: backend.cache("edge"), lock: backend.lock("edge"), checkpoint: backend.checkpoint("edge") };
  await backend.close();
  const checked: string[] = [];
  for (const [contract, driver] of Object.entries(drivers)) {
    const methods = [...driverMembers(driver)].filter(([, descriptor]) => typeof descriptor.value === "function");
    expect(methods.length).toBeGreaterThan(3);
    for (const [name] of methods) {
      const method = (driver as unknown as Record<string | symbol, (...args: unknown[]) => unknown>)[name];
      const error = await failureOf(() => method?.apply(driver, ARGS));
      expect(
        isStowageError(error, "ERR_CLOSED"),
        `${backend.kind} ${contract}.${String(name)} after close: ${String(error)}`,
      ).toBe(true);
      checked.push(`${contract}.${String(name)}`);
    }
  }
  return checked;
}

describe("the driver edge covers every driver method of every adapter", () => {
  let dir: string;
  let redis: RedisProcess | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "stowage-edge-"));
  });
  afterAll(async () => {
    await redis?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("memory: every method after close is ERR_CLOSED", async () => {
    expect((await expectEveryMethodClosed(await open(memory, "memory://"))).length).toBeGreaterThan(20);
  });
  it("sqlite: every method after close is ERR_CLOSED", async () => {
    const backend = await open(sqlite, `sqlite://${pathToFileURL(join(dir, "edge.db")).pathname}`);
    expect((await expectEveryMethodClosed(backend)).length).toBeGreaterThan(20);
  });
  it("lmdb: every method after close is ERR_CLOSED", async () => {
    const backend = await open(lmdb, `lmdb://${pathToFileURL(join(dir, "lmdb")).pathname}`);
    expect((await expectEveryMethodClosed(backend)).length).toBeGreaterThan(20);
  });
  it("fs: every method after close is ERR_CLOSED", async () => {
    const backend = await open(fs, pathToFileURL(join(dir, "files")).href);
    expect((await expectEveryMethodClosed(backend)).length).toBeGreaterThan(20);
  });
  it("redis: every method after close is ERR_CLOSED", async () => {
    redis = new RedisProcess({ port: await freePort() });
    await redis.start();
    const backend = await open(redisAdapter, `redis://127.0.0.1:${redis.port}`);
    expect((await expectEveryMethodClosed(backend)).length).toBeGreaterThan(20);
  });
});
