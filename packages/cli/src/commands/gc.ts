import { createStorage, Interrupt } from "@stowage/core";
import { EXIT } from "../exit-codes.js";
import type { Output } from "../output.js";
import { redact } from "../target-url.js";

/** Sweeps expired cache entries, temporary files and expired checkpoints with their leftovers. */
export async function gc(url: string, namespace: string, out: Output): Promise<number> {
  const storage = await createStorage({ url, namespace });
  // A ^C lets the running sweep finish (each removes whole entries) and skips the rest.
  const interrupt = new Interrupt();
  try {
    const stages = [
      { name: "cache", sweep: () => storage.cache.gc() },
      { name: "checkpoints", sweep: () => storage.checkpoint.gc() },
    ];
    const removed: number[] = [];
    for (const stage of stages) {
      // A signal that came during the last sweep is seen here, before the next one starts.
      await new Promise((resolve) => setImmediate(resolve));
      if (interrupt.requested) {
        const message = `interrupted after ${removed.length} of ${stages.length} stages; re-run to resume`;
        out.result({ ok: false, code: "ERR_INTERRUPTED", message, removed: { cache: removed[0] ?? 0 } }, () =>
          out.line(message),
        );
        return EXIT.interrupted;
      }
      const progress = out.progress(`gc ${stage.name}`, 1);
      removed.push(await stage.sweep());
      progress.tick();
      progress.stop();
    }
    const [cache = 0, checkpoint = 0] = removed;
    out.result({ ok: true, url: redact(url), namespace, removed: { cache, checkpoint } }, () =>
      out.line(
        `gc on ${redact(url)} (namespace "${namespace}"): removed ${cache} cache entries/leftovers and ${checkpoint} checkpoint records`,
      ),
    );
    return EXIT.ok;
  } finally {
    interrupt.dispose();
    await storage.close();
  }
}
