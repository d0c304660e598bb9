/**
 * Parses a URL whose authority may list several hosts (`redis+cluster://h1:7000,h2:7001/…`),
 * which WHATWG URL rejects: the host list is kept percent-encoded in `hostname`, and
 * `urlHosts` gives it back. A URL with one host parses exactly as `new URL` does.
 */
export function parseMultiHostUrl(raw: string): URL {
  try {
    return new URL(raw);
  } catch (error) {
    const match = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^@/?#]*)@)?([^/?#]*,[^/?#]*)(.*)$/is.exec(raw);
    if (!match) throw error;
    const [, scheme, userinfo, hosts, rest] = match as unknown as [string, string, string | undefined, string, string];
    const encodedHosts = hosts.replace(/[:[\]]/g, (c) => encodeURIComponent(c));
    return new URL(`${scheme}${userinfo !== undefined ? `${userinfo}@` : ""}${encodedHosts}${rest}`);
  }
}

/** The hosts a URL names, in order: one for a plain URL, several for a `h1:p1,h2:p2` list. */
export function urlHosts(url: URL): { host: string; port: number | undefined }[] {
  if (!url.hostname.includes(",") && !url.hostname.includes("%")) {
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    return host ? [{ host, port: url.port ? Number(url.port) : undefined }] : [];
  }
  const entries = decodeURIComponent(url.hostname)
    .split(",")
    .filter((entry) => entry !== "");
  // `h1,h2:7001` parses as one URL whose port belongs to the last host.
  if (url.port && entries.length > 0) entries[entries.length - 1] += `:${url.port}`;
  return entries.map((entry) => {
    const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(entry);
    if (!match) return { host: entry, port: undefined };
    return { host: (match[1] ?? match[2]) as string, port: match[3] !== undefined ? Number(match[3]) : undefined };
  });
}
