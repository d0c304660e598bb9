import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeConformance, openByUrl } from "@stowage/conformance";
import { afterAll } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-lmdb-conformance-"));
const url = `lmdb://${join(dir, "store")}`;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeConformance({
  name: "lmdb",
  url,
  open: openByUrl(url),
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: true },
});
