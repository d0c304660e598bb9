import { createStorage } from "@stowage/core";
import type { Output } from "../output.js";
import { redact } from "../target-url.js";

/** Sweeps expired cache entries, temporary files and expired checkpoints with their leftovers. */
export async function gc(url: string, namespace: string, out: Output): Promise<number> {
  const storage = await createStorage({ url, namespace });
  try {
    const cacheStage = out.progress("gc cache", 1);
    const cache = await storage.cache.gc();
    cacheStage.tick();
    cacheStage.stop();
    const checkpointStage = out.progress("gc checkpoints", 1);
    const checkpoint = await storage.checkpoint.gc();
    checkpointStage.tick();
    checkpointStage.stop();
    out.result({ ok: true, url: redact(url), namespace, removed: { cache, checkpoint } }, () =>
      out.line(
        `gc on ${redact(url)} (namespace "${namespace}"): removed ${cache} cache entries/leftovers and ${checkpoint} checkpoint records`,
      ),
    );
    return 0;
  } finally {
    await storage.close();
  }
}
