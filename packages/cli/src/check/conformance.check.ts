// The test file `stowage check` hands to Vitest: the conformance suite on the URL it was given.
import { describeConformance, openByUrl } from "@stowage/conformance";
import { describeBackend } from "@stowage/core";

const url = process.env.STOWAGE_CHECK_URL ?? "";
const only = (process.env.STOWAGE_CHECK_ONLY ?? "cache,lock,checkpoint").split(",");
const scheme = url.slice(0, url.indexOf(":"));
const imports = JSON.parse(process.env.STOWAGE_CHECK_IMPORTS ?? "[]") as string[];
for (const specifier of imports) await import(specifier);

// What the backend can honestly do is the adapter's own description (imports may register a third-party one).
const { adapter } = await describeBackend(url);
const capabilities = {
  ...adapter.capabilities,
  ...(adapter.maxValueBytes !== undefined ? { maxValueBytes: adapter.maxValueBytes } : {}),
};

describeConformance(
  { name: scheme, url, open: openByUrl(url), workerImports: imports, capabilities },
  { cache: only.includes("cache"), lock: only.includes("lock"), checkpoint: only.includes("checkpoint") },
);
