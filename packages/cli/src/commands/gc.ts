import { createStorage } from "@stowage/core";
import type { Output } from "../output.js";
import { redact } from "../target-url.js";

/** Sweeps expired cache entries, temporary files and expired checkpoints with their leftovers. */
export async function gc(url: string, namespace: string, out: Output): Promise<number> {
  const storage = await createStorage({ url, namespace });
  try {
    const cache = await storage.cache.gc();
    const checkpoint = await storage.checkpoint.gc();
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
