// The test file `stowage check` hands to Vitest: the conformance suite on the URL it was given.
import { describeConformance, openByUrl } from "@stowage/conformance";
import { capabilitiesFor } from "./capabilities.js";

const url = process.env.STOWAGE_CHECK_URL ?? "";
const only = (process.env.STOWAGE_CHECK_ONLY ?? "cache,lock,checkpoint").split(",");
const scheme = url.slice(0, url.indexOf(":"));
const imports = JSON.parse(process.env.STOWAGE_CHECK_IMPORTS ?? "[]") as string[];
for (const specifier of imports) await import(specifier);

describeConformance(
  { name: scheme, url, open: openByUrl(url), workerImports: imports, capabilities: capabilitiesFor(url) },
  { cache: only.includes("cache"), lock: only.includes("lock"), checkpoint: only.includes("checkpoint") },
);
