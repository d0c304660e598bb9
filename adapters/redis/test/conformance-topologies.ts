import { describeConformance, openByUrl } from "@stowage/conformance";
import { afterAll } from "vitest";
import type { TestServers } from "../src/testing/index.js";
import { portableUrl, skipWithoutBinary } from "./servers.js";

function withParam(url: string, name: string, value: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}${name}=${value}`;
}

/** Starts `start()` for this file and registers the whole conformance suite on the URL it gives. */
export async function conformanceOn(name: string, start: () => Promise<TestServers>): Promise<TestServers | undefined> {
  if (skipWithoutBinary(`conformance: ${name}`)) return undefined;
  const servers = await start();
  afterAll(() => servers.stop());
  // A generous connect bound: 3 TLS nodes and 8 worker processes connecting at once on a loaded 2-core CI machine.
  const url = withParam(portableUrl(servers.url), "connectTimeout", "10000");
  describeConformance({
    name,
    url,
    open: openByUrl(url),
    capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: false },
  });
  return servers;
}
