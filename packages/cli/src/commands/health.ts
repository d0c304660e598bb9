import { createStorage } from "@stowage/core";
import { EXIT } from "../exit-codes.js";
import { type Output, table } from "../output.js";
import { redact } from "../target-url.js";

/** Reachability, latency, version and what is stored, per store. */
export async function health(url: string, namespace: string, out: Output): Promise<number> {
  const storage = await createStorage({ url, namespace });
  try {
    const report = await storage.health();
    const cache = report.cache.ok ? await storage.cache.stats() : undefined;
    const checkpoints = report.checkpoint.ok ? await storage.checkpoint.stats() : undefined;
    const result = {
      ok: report.ok,
      url: redact(url),
      namespace,
      cache: { ...report.cache, entries: cache?.entries, bytes: cache?.bytes },
      lock: report.lock,
      checkpoint: { ...report.checkpoint, threads: checkpoints?.threads, checkpoints: checkpoints?.checkpoints },
    };
    out.result(result, () => {
      out.line(`${redact(url)} (namespace "${namespace}")`);
      const row = (name: string, h: typeof report.cache, stored: string) => [
        name,
        h.ok ? "ok" : "DOWN",
        h.backend,
        `${h.latencyMs.toFixed(2)} ms`,
        h.version ?? "",
        h.ok ? stored : (h.error ?? ""),
      ];
      out.line(
        table([
          ["store", "state", "backend", "latency", "version", "stored"],
          row("cache", report.cache, `${cache?.entries ?? "?"} entries, ${cache?.bytes ?? "?"} bytes`),
          row("lock", report.lock, ""),
          row(
            "checkpoint",
            report.checkpoint,
            `${checkpoints?.threads ?? "?"} threads, ${checkpoints?.checkpoints ?? "?"} checkpoints`,
          ),
        ]),
      );
    });
    // Reached but unhealthy is 1, as README and --help say; an unreachable backend throws before (3).
    return report.ok ? EXIT.ok : EXIT.failed;
  } finally {
    await storage.close();
  }
}
