import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describeConformance, openByUrl } from "@stowage/conformance";
import { afterAll } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-sqlite-conformance-"));
const url = `sqlite://${pathToFileURL(join(dir, "conformance.db")).pathname}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeConformance({
  name: "sqlite",
  url,
  open: openByUrl(url),
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: true },
});
