import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { assertKnownParams, ConfigError, parseBoolean, parseDuration, urlHosts } from "@stowage/core";

/** How the adapter reaches Redis. */
export type RedisTopology = "standalone" | "cluster" | "sentinel" | "redlock";

/** A host of the URL's host list. */
export interface RedisHost {
  host: string;
  port: number;
}

/** Everything a Redis URL (and object options) says, validated. */
export interface RedisConnectionOptions {
  topology: RedisTopology;
  hosts: RedisHost[];
  username?: string;
  password?: string;
  /** Database index (standalone, Sentinel and redlock primaries; a Cluster has only 0). */
  db: number;
  /** TLS settings, or undefined for plain TCP. */
  tls?: ConnectionOptions;
  /** Sentinel: the monitored primary's name and the sentinels' own credentials. */
  sentinelName?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
  /** Every key starts with this, then the store namespace. */
  prefix: string;
  /** A command that gets no answer within this many ms fails with ERR_BACKEND_UNAVAILABLE. */
  commandTimeoutMs: number;
  /** Connecting (at open and on reconnect) gives up after this many ms. */
  connectTimeoutMs: number;
  /** Redlock: clock drift allowance as a fraction of the ttl (plus 2 ms). */
  driftFactor: number;
  /** Send the commands issued in one event-loop turn in one write (see RedisConnection). */
  autoPipelining: boolean;
}

const PARAMS = [
  "prefix",
  "timeout",
  "connectTimeout",
  "tls",
  "tlsVerify",
  "ca",
  "cert",
  "key",
  "servername",
  "db",
  "sentinelUsername",
  "sentinelPassword",
  "driftFactor",
  "autoPipelining",
] as const;

const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

const DEFAULT_PORT: Record<RedisTopology, number> = {
  standalone: 6379,
  cluster: 6379,
  sentinel: 26379,
  redlock: 6379,
};

function topologyOf(scheme: string): { topology: RedisTopology; tls: boolean } {
  switch (scheme) {
    case "redis":
      return { topology: "standalone", tls: false };
    case "rediss":
      return { topology: "standalone", tls: true };
    case "redis+cluster":
      return { topology: "cluster", tls: false };
    case "rediss+cluster":
      return { topology: "cluster", tls: true };
    case "redis+sentinel":
      return { topology: "sentinel", tls: false };
    case "rediss+sentinel":
      return { topology: "sentinel", tls: true };
    case "redlock":
      return { topology: "redlock", tls: false };
    default:
      throw new ConfigError("url", `${scheme}: is not a Redis URL scheme`);
  }
}

function readPem(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(field, `cannot read ${JSON.stringify(path)}: ${(error as Error).message}`, { cause: error });
  }
}

function parseDb(raw: string, field: string): number {
  if (!/^\d{1,2}$/.test(raw)) throw new ConfigError(field, `must be a database index 0-99, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * Reads a Redis URL: `redis://[user:pw@]host:port[/db]`, `rediss://` (TLS), `redis+cluster://h1:p1,h2:p2`,
 * `redis+sentinel://s1,s2/primaryName[/db]`, `redlock://h1,h2,h3`. `options` (object form) override params.
 */
export function parseRedisUrl(
  url: URL,
  params: URLSearchParams,
  options: Record<string, unknown> = {},
): RedisConnectionOptions {
  const scheme = url.protocol.replace(/:$/, "");
  const { topology, tls: schemeTls } = topologyOf(scheme);
  assertKnownParams(params, PARAMS, scheme);
  const get = (name: (typeof PARAMS)[number]): string | undefined => {
    const value = options[name];
    if (value !== undefined && value !== null) return String(value);
    return params.get(name) ?? undefined;
  };
  const hosts = urlHosts(url).map(({ host, port }) => {
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
      throw new ConfigError("url", `port ${port} of ${host} is not 1-65535`);
    return { host, port: port ?? DEFAULT_PORT[topology] };
  });
  if (hosts.length === 0) throw new ConfigError("url", `${scheme}: URLs need a host, e.g. ${scheme}://127.0.0.1:6379`);
  if (topology === "standalone" && hosts.length > 1)
    throw new ConfigError(
      "url",
      `${scheme}: takes one host; use redis+cluster://, redis+sentinel:// or redlock:// for several`,
    );
  if (topology === "redlock" && hosts.length % 2 === 0)
    throw new ConfigError("url", `redlock: needs an odd number of independent primaries (3 or 5), got ${hosts.length}`);

  const path = url.pathname.split("/").filter((part) => part !== "");
  let db = 0;
  let sentinelName: string | undefined;
  if (topology === "sentinel") {
    sentinelName = path[0] !== undefined ? decodeURIComponent(path[0]) : undefined;
    if (!sentinelName)
      throw new ConfigError("url", "redis+sentinel: URLs name the primary: redis+sentinel://s1,s2,s3/mymaster");
    if (path[1] !== undefined) db = parseDb(path[1], "url db");
  } else if (path[0] !== undefined) {
    if (topology === "cluster")
      throw new ConfigError("url", "a Redis Cluster has only database 0; remove the /db part");
    db = parseDb(path[0], "url db");
  }
  const dbParam = get("db");
  if (dbParam !== undefined) db = parseDb(dbParam, "url.db");
  if (topology === "cluster" && db !== 0) throw new ConfigError("url.db", "a Redis Cluster has only database 0");

  const tlsParam = get("tls");
  const useTls = tlsParam !== undefined ? parseBoolean(tlsParam, "url.tls") : schemeTls;
  const verifyParam = get("tlsVerify");
  const verify = verifyParam !== undefined ? parseBoolean(verifyParam, "url.tlsVerify") : true;
  const tlsOnly = ["ca", "cert", "key", "servername", "tlsVerify"] as const;
  if (!useTls) {
    const given = tlsOnly.find((name) => get(name) !== undefined);
    if (given) throw new ConfigError(`url.${given}`, "applies only to TLS connections (rediss://… or tls=true)");
  }
  let tls: ConnectionOptions | undefined;
  if (useTls) {
    const ca = get("ca");
    const cert = get("cert");
    const key = get("key");
    const servername = get("servername");
    tls = {
      // Verification is on unless the URL explicitly says tlsVerify=false.
      rejectUnauthorized: verify,
      ...(ca !== undefined ? { ca: readPem(ca, "url.ca") } : {}),
      ...(cert !== undefined ? { cert: readPem(cert, "url.cert") } : {}),
      ...(key !== undefined ? { key: readPem(key, "url.key") } : {}),
      ...(servername !== undefined ? { servername } : {}),
    };
  }

  const prefix = get("prefix") ?? "stowage";
  if (!PREFIX_PATTERN.test(prefix))
    throw new ConfigError(
      "url.prefix",
      `must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", ":" or "-", got ${JSON.stringify(prefix)}`,
    );
  const commandTimeoutMs = parseDuration(get("timeout") ?? "2000", "url.timeout");
  const connectTimeoutMs = parseDuration(
    get("connectTimeout") ?? String(Math.max(commandTimeoutMs, 2000)),
    "url.connectTimeout",
  );
  const driftRaw = get("driftFactor") ?? "0.01";
  const driftFactor = Number(driftRaw);
  if (!Number.isFinite(driftFactor) || driftFactor < 0 || driftFactor >= 0.5)
    throw new ConfigError("url.driftFactor", `must be a number in [0, 0.5), got ${JSON.stringify(driftRaw)}`);

  const pipeliningParam = get("autoPipelining");
  const autoPipelining = pipeliningParam !== undefined ? parseBoolean(pipeliningParam, "url.autoPipelining") : true;

  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const sentinelUsername = get("sentinelUsername");
  const sentinelPassword = get("sentinelPassword");
  if (topology !== "sentinel" && (sentinelUsername ?? sentinelPassword) !== undefined)
    throw new ConfigError(
      sentinelUsername !== undefined ? "url.sentinelUsername" : "url.sentinelPassword",
      "applies only to redis+sentinel:// URLs",
    );
  return {
    topology,
    hosts,
    db,
    prefix,
    commandTimeoutMs,
    connectTimeoutMs,
    driftFactor,
    autoPipelining,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls } : {}),
    ...(sentinelName !== undefined ? { sentinelName } : {}),
    ...(sentinelUsername !== undefined ? { sentinelUsername } : {}),
    ...(sentinelPassword !== undefined ? { sentinelPassword } : {}),
  };
}
