#!/usr/bin/env node
// Committed with its executable bit, so the bin works before and after a build rewrites dist/.
import { existsSync } from "node:fs";

const entry = new URL("../dist/bin.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "stowage: the CLI is not built yet; run `npm run build` (or `npm install`, which builds) first\n",
  );
  process.exit(1);
}
await import(entry.href);
