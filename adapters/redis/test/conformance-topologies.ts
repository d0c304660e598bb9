import { describeConformance, openByUrl } from "@stowage/conformance";
import { afterAll } from "vitest";
import type { TestServers } from "../src/testing/index.js";
import { patientUrl, portableUrl, skipWithoutBinary } from "./servers.js";

/** Starts `start()` for this file and registers the whole conformance suite on the URL it gives. */
export async function conformanceOn(name: string, start: () => Promise<TestServers>): Promise<TestServers | undefined> {
  if (skipWithoutBinary(`conformance: ${name}`)) return undefined;
  const servers = await start();
  afterAll(() => servers.stop());
  const url = patientUrl(portableUrl(servers.url));
  describeConformance({
    name,
    url,
    open: openByUrl(url),
    capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: false },
  });
  return servers;
}
