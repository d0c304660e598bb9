import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describeConformance, openByUrl } from "@stowage/conformance";
import { afterAll } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-fs-conformance-"));
const url = pathToFileURL(join(dir, "store")).href;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeConformance({
  name: "fs",
  url,
  open: openByUrl(url),
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: true },
});
