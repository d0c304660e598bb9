import { describeConformance, openByUrl } from "@stowage/conformance";
import { afterAll, describe, it } from "vitest";
import { startStandalone, type TestServer } from "../src/testing/index.js";
import { availability, patientUrl } from "./servers.js";

// REDIS_URL first (DESIGN's order), else a server started from the binary for this file.
let server: TestServer | undefined;
if (availability.mode === "binary") server = await startStandalone();
afterAll(async () => server?.stop());

const found = availability.mode === "url" ? availability.url : server?.url;
const url = found && patientUrl(found);
if (url) {
  describeConformance({
    name: availability.mode === "url" ? `redis (${availability.source})` : "redis standalone",
    url,
    open: openByUrl(url),
    capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: false },
  });
} else {
  const reason = availability.mode === "none" ? availability.reason : "no Redis server";
  console.warn(`[redis] conformance skipped: ${reason}`);
  describe("conformance: redis", () => {
    it.skip(`no Redis server: ${reason}`, () => {});
  });
}
