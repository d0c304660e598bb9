import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type DamageableFile, describeConformance, openByUrl } from "@stowage/conformance";
import { afterAll } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-fs-conformance-"));
const url = pathToFileURL(join(dir, "store")).href;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The kind of record a file of the store holds, from its place in the layout (README "Layout"). */
function kindOf(path: string, name: string): string | undefined {
  if (path.includes("/~tmp/")) return undefined;
  if (name.endsWith(".v")) return "cache entry";
  if (name.endsWith(".c")) return "checkpoint";
  if (name.endsWith(".b")) return "channel blob";
  if (name.endsWith(".x")) return "pending write";
  if (name.endsWith(".i")) return "checkpoint index entry";
  if (name === "released") return "shared release entry";
  if (/^\d+$/.test(name)) return path.includes("/cache-mutex/") ? "key lease entry" : "lock lease entry";
  return undefined;
}

function storeFiles(at: string, found: DamageableFile[] = []): DamageableFile[] {
  for (const item of readdirSync(at, { withFileTypes: true })) {
    const path = join(at, item.name);
    if (item.isDirectory()) storeFiles(path, found);
    else {
      const kind = kindOf(path, item.name);
      if (kind) found.push({ kind, path });
    }
  }
  return found;
}

describeConformance({
  name: "fs",
  url,
  open: openByUrl(url),
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: true, prunedBlobsLinger: true },
  damage: {
    urlIn: (at) => pathToFileURL(join(at, "store")).href,
    kinds: [
      "cache entry",
      "checkpoint",
      "channel blob",
      "pending write",
      "checkpoint index entry",
      "lock lease entry",
      "key lease entry",
      "shared release entry",
    ].map((name) => ({ name, flipsDetected: true })),
    files: (at) => storeFiles(join(at, "store")),
    foreign: [
      {
        name: "a directory of another program's files",
        make: (at) => {
          writeFileSync(join(at, "notes.txt"), "not a stowage store\n");
          mkdirSync(join(at, "data"));
          writeFileSync(join(at, "data", "records.json"), '{"records":[1,2,3]}');
          return pathToFileURL(at).href;
        },
      },
    ],
  },
});
