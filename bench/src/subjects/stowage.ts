import { createStorage, describeBackend, type Lease } from "@stowage/core";
import type { OpenSubject, Subject } from "./subject.js";

let opened = 0;

/** A namespace no earlier run of this process (or another process) has written to. */
export function freshNamespace(prefix = "bench"): string {
  opened++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${opened}`;
}

/** Opens a stowage URL through createStorage, the way an application would. */
export async function openStowage(url: string, namespace = freshNamespace()): Promise<OpenSubject> {
  const storage = await createStorage({ url, namespace });
  const threads = new Set<string>();
  return {
    cache: {
      set: (key, value, ttlMs) => storage.cache.set(key, value, { ttl: ttlMs }),
      get: (key) => storage.cache.get(key),
    },
    lock: {
      acquire: (name, ttlMs, waitMs): Promise<Lease> => storage.lock.acquire(name, { ttl: ttlMs, waitMs }),
    },
    checkpoint: {
      save: (threadId, payload, ttlMs) => {
        threads.add(threadId);
        return storage.checkpoint.put({ threadId, payload, metadata: { source: "bench" } }, { ttl: ttlMs });
      },
      load: (threadId) => storage.checkpoint.get(threadId),
      list: async (threadId, limit) => {
        const found: unknown[] = [];
        for await (const checkpoint of storage.checkpoint.list({ threadId, limit })) found.push(checkpoint);
        return found;
      },
      deleteThread: (threadId) => {
        threads.delete(threadId);
        return storage.checkpoint.deleteThread(threadId);
      },
    },
    async close() {
      try {
        await storage.cache.clear();
        for (const threadId of threads) await storage.checkpoint.deleteThread(threadId);
      } finally {
        await storage.close();
      }
    },
  };
}

/**
 * A stowage backend named by URL (shown as `name`, e.g. with a scratch directory shortened); it
 * runs in worker processes when its adapter's description says several processes share it. A URL
 * no adapter opens is still a subject: opening it fails, and its rows are skipped with the reason.
 */
export async function stowageSubject(url: string, name = url): Promise<Subject> {
  const multiProcess = await describeBackend(url).then(
    ({ adapter }) => adapter.capabilities.multiProcess,
    () => false,
  );
  return {
    name,
    kind: "backend",
    capabilities: ["cache", "lock", "checkpoint", "checkpointList"],
    open: () => openStowage(url),
    ...(multiProcess ? { worker: { kind: "url", url } } : {}),
  };
}
