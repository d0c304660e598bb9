import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeConformance, openByUrl } from "@stowage/conformance";
import { afterAll } from "vitest";

// The hybrid over a local L2, which has no bus (bus=false: one instance); cache only, as the
// Redis run: locks and checkpoints of a hybrid storage are the L2's own, judged by its suite.
// (hybrid+memory:// is left out: each memory:// URL opens its own store, so two instances share nothing.)
const dir = mkdtempSync(join(tmpdir(), "stowage-hybrid-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, url] of [
  ["hybrid (memory L1 + sqlite L2, no bus)", `hybrid+sqlite://${join(dir, "l2.db")}?bus=false`],
] as const) {
  describeConformance(
    {
      name,
      url,
      open: openByUrl(url),
      // Without a bus another process's L1 is not told of a write, so the hybrid promises one process.
      capabilities: { multiProcess: false, survivesCrash: false, sizeLimit: false },
    },
    { cache: true, lock: false, checkpoint: false },
  );
}
