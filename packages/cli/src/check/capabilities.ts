import type { Capabilities } from "@stowage/conformance";

/** What each kind of backend can honestly do, from its URL scheme. */
export function capabilitiesFor(url: string): Capabilities {
  const scheme = url.slice(0, Math.max(0, url.indexOf(":")));
  if (scheme === "memory") return { multiProcess: false, survivesCrash: false, sizeLimit: true };
  if (["sqlite", "lmdb", "file"].includes(scheme)) return { multiProcess: true, survivesCrash: true, sizeLimit: true };
  return { multiProcess: true, survivesCrash: true, sizeLimit: false };
}
