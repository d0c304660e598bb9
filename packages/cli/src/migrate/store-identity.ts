import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { localPathFromUrl, parseMultiHostUrl, urlHosts } from "@stowage/core";

const LOCAL_SCHEMES = new Set(["sqlite", "lmdb", "file"]);
let anonymous = 0;

/** The path with symlinks resolved as far as it exists (a database file may not exist yet). */
function realPath(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const parent = dirname(path);
  return parent === path ? path : join(realPath(parent), basename(path));
}

/**
 * What makes two URLs the same store, whatever their parameters say: the resolved path of a local
 * backend, the hosts and database of a server. `migrate` refuses to copy a store onto itself.
 */
export function storeIdentity(raw: string): string {
  const url = parseMultiHostUrl(raw.replace(/^hybrid\+/, ""));
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (LOCAL_SCHEMES.has(scheme)) return `${scheme}:${realPath(localPathFromUrl(url))}`;
  // Plain memory:// gives every open a store of its own: never the same as another URL.
  if (scheme === "memory" && url.hostname === "") return `memory:anonymous:${++anonymous}`;
  const hosts = urlHosts(url)
    .map(({ host, port }) => `${host.toLowerCase()}:${port ?? 6379}`)
    .sort()
    .join(",");
  const path = url.pathname === "" || url.pathname === "/" ? "/0" : url.pathname;
  return `${scheme.replace(/^rediss/, "redis")}://${hosts}${path}`;
}
