import { createStorage } from "@stowage/core";
import type { Output } from "../output.js";
import { redact } from "../target-url.js";

const NAMESPACE = "stowage-demo";

/** The main job in one run: a cache, a lock and a checkpoint store working on one backend, then cleaned up. */
export async function demo(url: string, out: Output): Promise<number> {
  const storage = await createStorage({ url, namespace: NAMESPACE });
  const steps: { step: string; detail: string }[] = [];
  const done = (step: string, detail: string) => {
    steps.push({ step, detail });
    out.line(`  ✓ ${step.padEnd(34)} ${detail}`);
  };
  try {
    out.line(`stowage demo on ${redact(url)} (namespace "${NAMESPACE}")`);
    const { cache, lock, checkpoint } = storage;

    await cache.set("model:1:status", "running", { ttl: 60_000 });
    done(
      "cache.set with a 60 s ttl",
      `model:1:status = ${JSON.stringify(await cache.get("model:1:status"))}, ttl ${await cache.ttl("model:1:status")} ms`,
    );
    await cache.json.set("job:7", "$.progress", { step: 3, of: 10 });
    done("cache.json.set at a path", `job:7 = ${JSON.stringify(await cache.get("job:7"))}`);
    const loads: number[] = [];
    await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet("expensive", () => loads.push(1) && 42)));
    done("cache.getOrSet, 20 callers", `${loads.length} load, value ${await cache.get("expensive")}`);
    done("cache.incr", `jobs:done = ${await cache.incr("jobs:done")} then ${await cache.incr("jobs:done", 4)}`);

    const result = await lock.withLock(
      "train:model:1",
      async (_signal, lease) => {
        const second = await lock.tryAcquire("train:model:1");
        return { token: lease.token, secondCaller: second ? "got it (wrong!)" : "refused while held" };
      },
      { ttl: 10_000, waitMs: 5_000 },
    );
    done("lock.withLock", `fencing token ${result.token}; a second caller was ${result.secondCaller}`);

    let parentId: string | null = null;
    for (let step = 1; step <= 3; step++) {
      const { id }: { id: string } = await checkpoint.put({
        threadId: "run-42",
        parentId,
        payload: { step },
        metadata: { source: "loop", step },
        channels: { messages: step },
        blobs: [{ channel: "messages", version: step, value: [`message ${step}`] }],
      });
      parentId = id;
    }
    const latest = await checkpoint.get("run-42");
    done(
      "checkpoint.put ×3, get latest",
      `step ${JSON.stringify(latest?.payload)}, channel ${JSON.stringify(latest?.channelValues)}`,
    );
    let listed = 0;
    for await (const _ of checkpoint.list({ threadId: "run-42", limit: 2 })) listed++;
    done("checkpoint.list limit 2", `${listed} newest first`);
    await checkpoint.deleteThread("run-42");
    done("checkpoint.deleteThread", `records left for the thread: ${await checkpoint.countThread("run-42")}`);

    await cache.clear();
    const health = await storage.health();
    done("health", `${health.cache.backend} ok=${health.ok} latency ${health.cache.latencyMs.toFixed(2)} ms`);
    out.result({ ok: true, url: redact(url), namespace: NAMESPACE, steps }, () =>
      out.line("demo finished: cache, lock and checkpoint work."),
    );
    return 0;
  } finally {
    await storage.close();
  }
}
