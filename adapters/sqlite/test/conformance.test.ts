import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describeConformance } from "@stowage/conformance";
import { createStorage } from "@stowage/core";
import { afterAll } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-sqlite-conformance-"));
const url = `sqlite://${pathToFileURL(join(dir, "conformance.db")).pathname}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeConformance({
  name: "sqlite",
  url,
  open: (namespace, options = {}) =>
    createStorage({
      url,
      namespace,
      ...(options.codec !== undefined ? { codec: options.codec } : {}),
      ...(options.maxSize !== undefined ? { cache: { url, maxSize: options.maxSize } } : {}),
    }),
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: true },
});
