import { describeConformance, openByUrl } from "@stowage/conformance";
import { afterAll } from "vitest";
import { startPrimaries } from "../src/testing/index.js";
import { portableUrl, skipWithoutBinary } from "./servers.js";

// redlock:// serves the lock store only, so only the lock part of the suite applies.
if (!skipWithoutBinary("conformance: redlock")) {
  const primaries = await startPrimaries(3);
  afterAll(() => primaries.stop());
  const url = portableUrl(primaries.url);
  describeConformance(
    {
      name: "redlock (3 independent primaries)",
      url,
      open: openByUrl(url),
      capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: false },
    },
    { cache: false, checkpoint: false },
  );
}
