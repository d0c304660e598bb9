import { randomBytes } from "node:crypto";
import { isStowageError, type Storage, type StowageErrorCode } from "@stowage/core";
import { afterEach, beforeEach, expect } from "vitest";
import type { ConformanceTarget, OpenOptions } from "./target.js";

/** A namespace no other test uses. */
export function uniqueNamespace(): string {
  return `stowage-check-${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
}

/** Opens a fresh storage (own namespace) before each test and closes everything the test opened after it. */
export function useStorage(target: ConformanceTarget, options?: OpenOptions) {
  const opened: Storage[] = [];
  let current: Storage | undefined;
  let namespace = "";
  beforeEach(async () => {
    namespace = uniqueNamespace();
    current = await target.open(namespace, options);
    opened.push(current);
  });
  afterEach(async () => {
    // Leave nothing behind (stowage check runs this on live deployments): entries, threads, expired leftovers.
    for (const storage of opened) await removeEverything(storage).catch(() => {});
    await Promise.allSettled(opened.splice(0).map((storage) => storage.close()));
  });
  return {
    get storage(): Storage {
      if (!current) throw new Error("storage is opened in beforeEach");
      return current;
    },
    get namespace(): string {
      return namespace;
    },
    /** Another storage on the same data and namespace (a second instance of the application). */
    async another(ns = namespace, opts = options): Promise<Storage> {
      const storage = await target.open(ns, opts);
      opened.push(storage);
      return storage;
    },
  };
}

/** Empties a test's namespace: cache entries, every thread's checkpoints, and expired records. */
async function removeEverything(storage: Storage): Promise<void> {
  await storage.cache.clear();
  const threads = new Set<string>();
  for await (const checkpoint of storage.checkpoint.list()) threads.add(checkpoint.threadId);
  for (const threadId of threads) await storage.checkpoint.deleteThread(threadId);
  await storage.checkpoint.gc();
}

/** Asserts that `action` rejects with a StowageError of `code`. */
export async function expectCode(action: Promise<unknown> | (() => unknown), code: StowageErrorCode): Promise<void> {
  let error: unknown;
  try {
    await (typeof action === "function" ? action() : action);
  } catch (caught) {
    error = caught;
  }
  expect(error, `expected a StowageError ${code}`).toBeDefined();
  if (!isStowageError(error, code)) {
    throw new Error(`expected ${code}, got ${(error as Error)?.name}: ${(error as Error)?.message}`, { cause: error });
  }
}

export const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Runs `fn` for 0..n-1 all at once and waits for every one. */
export function concurrently<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
}
