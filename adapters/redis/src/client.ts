import { BackendUnavailableError, ConfigError } from "@stowage/core";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { RedisConnectionOptions, RedisHost } from "./options.js";

/** A connection the drivers send commands on: one server (standalone or via Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

/** How a client bounds its commands. */
export interface ClientTimeouts {
  /**
   * False: ioredis arms no timer per command, because the caller bounds them itself (RedisConnection's
   * watchdog). Default true: ioredis's commandTimeout.
   */
  perCommandTimer?: boolean;
}

/** Options every connection shares: fail fast instead of queueing, reconnect by itself. */
function failFast(options: RedisConnectionOptions, timeouts: ClientTimeouts = {}): RedisOptions {
  return {
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    connectTimeout: options.connectTimeoutMs,
    ...(timeouts.perCommandTimer === false ? {} : { commandTimeout: options.commandTimeoutMs }),
    // No offline queue: a command while disconnected fails at once instead of waiting for a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: options.autoPipelining,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(50 * times, 1000),
    // A primary demoted by a failover answers READONLY: reconnect so Sentinel names the new one.
    reconnectOnError: (error) => error.message.startsWith("READONLY"),
  };
}

/** Connection errors surface on the commands that fail; without a listener ioredis would also print each one. */
function quiet<T extends RedisClient>(client: T): T {
  client.on("error", () => {});
  return client;
}

/** A client for one server (standalone, or one redlock primary). */
export function serverClient(options: RedisConnectionOptions, host: RedisHost, timeouts?: ClientTimeouts): Redis {
  return quiet(new Redis({ ...failFast(options, timeouts), host: host.host, port: host.port, db: options.db }));
}

function sentinelClient(options: RedisConnectionOptions, timeouts?: ClientTimeouts): Redis {
  return new Redis({
    ...failFast(options, timeouts),
    sentinels: options.hosts.map(({ host, port }) => ({ host, port })),
    name: options.sentinelName as string,
    role: "master",
    db: options.db,
    failoverDetector: true,
    sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
    ...(options.sentinelUsername !== undefined ? { sentinelUsername: options.sentinelUsername } : {}),
    ...(options.sentinelPassword !== undefined ? { sentinelPassword: options.sentinelPassword } : {}),
    ...(options.tls ? { enableTLSForSentinelMode: true, sentinelTLS: options.tls } : {}),
  });
}

function clusterClient(options: RedisConnectionOptions): Cluster {
  const { enableOfflineQueue: _queue, lazyConnect: _lazy, ...redisOptions } = failFast(options);
  const clusterOptions: ClusterOptions = {
    redisOptions,
    enableOfflineQueue: false,
    enableAutoPipelining: options.autoPipelining,
    lazyConnect: true,
    scaleReads: "master",
    slotsRefreshTimeout: options.connectTimeoutMs,
    clusterRetryStrategy: (times) => Math.min(100 * times, 1000),
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    // TLS certificates name the hosts of the URL, so keep them instead of resolving to IPs.
    ...(options.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  };
  return new Cluster(
    options.hosts.map(({ host, port }) => ({ host, port })),
    clusterOptions,
  );
}

/**
 * Creates the single connection of a standalone, Sentinel or Cluster URL (not connected yet).
 * `timeouts` applies to standalone and Sentinel; a Cluster always keeps ioredis's per-command timer
 * (its commands can also wait in the Cluster's own retry paths, which no socket queue shows).
 */
export function primaryClient(options: RedisConnectionOptions, timeouts?: ClientTimeouts): RedisClient {
  switch (options.topology) {
    case "cluster":
      return quiet(clusterClient(options));
    case "sentinel":
      return quiet(sentinelClient(options, timeouts));
    default:
      return serverClient(options, options.hosts[0] as RedisHost, timeouts);
  }
}

const AUTH_REFUSED = /WRONGPASS|NOAUTH|NOPERM|invalid (username|password)|AUTH failed/i;

/** Connects within the connect timeout; on failure the client is shut down and ERR_BACKEND_UNAVAILABLE thrown. */
export async function connect(client: RedisClient, what: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // ioredis reports a refused AUTH on its error event, then rejects connect() with only "Connection is closed."
  let refused: Error | undefined;
  let lastError: Error | undefined;
  const onError = (error: Error) => {
    lastError = error;
    if (AUTH_REFUSED.test(error.message)) refused = error;
  };
  client.on("error", onError);
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    client.disconnect();
    if (refused || AUTH_REFUSED.test((error as Error).message)) {
      const reply = (refused ?? (error as Error)).message;
      throw new ConfigError("url", `${what} refused the credentials (user or password): ${reply}`, { cause: error });
    }
    const reason =
      lastError && lastError !== error
        ? `${(error as Error).message} (${lastError.message})`
        : (error as Error).message;
    throw new BackendUnavailableError(`${what}: cannot connect: ${reason}`, { cause: error });
  } finally {
    clearTimeout(timer);
    client.off("error", onError);
  }
}

/** The primaries of a Cluster, or the one server otherwise: where SCAN must run to see every key. */
export function primaries(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes("master") : [client];
}
