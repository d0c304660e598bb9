import {
  type Backend,
  type BackendHealth,
  type BackendOpenOptions,
  BackendUnavailableError,
  type CacheDriver,
  type CheckpointDriver,
  ConfigError,
  type DriverEdge,
  type LockDriver,
  monotonicNow,
  wrapDriver,
} from "@stowage/core";
import type { Redis } from "ioredis";
import { RedisCacheDriver } from "./cache.js";
import { RedisCheckpointDriver } from "./checkpoint.js";
import { connect, primaryClient, type RedisClient, serverClient } from "./client.js";
import { RedisConnection } from "./connection.js";
import { toStowageError } from "./errors.js";
import { KeyLayout } from "./key-layout.js";
import { upgradeLegacyPrefix } from "./legacy-prefix.js";
import { RedisLockDriver } from "./lock.js";
import { LockWakes } from "./lock-wakes.js";
import { parseRedisUrl, type RedisConnectionOptions } from "./options.js";
import { QuorumLockDriver } from "./quorum-lock.js";
import { CACHE_SCRIPTS } from "./scripts/cache-scripts.js";
import { CHECKPOINT_SCRIPTS } from "./scripts/checkpoint-scripts.js";
import { LOCK_SCRIPTS } from "./scripts/lock-scripts.js";
import { defineScripts } from "./scripts/lua-script.js";

/**
 * One Redis deployment: a single connection (standalone, Sentinel or Cluster) for all three stores,
 * or, for redlock://, one connection per independent primary used by the lock store only.
 */
export class RedisBackend implements Backend {
  readonly kind = "redis";
  readonly options: RedisConnectionOptions;
  readonly #connection: RedisConnection | undefined;
  readonly #quorum: readonly Redis[];
  readonly #layouts = new Map<string, KeyLayout>();
  /** This store-open's waiter address and its subscriber, shared by every lock namespace. */
  readonly #wakes: LockWakes;
  #closed = false;
  /** The driver edges, one per contract so an error names it ("cache get"): ERR_CLOSED after close, ioredis failures as StowageErrors. */
  readonly #edges = {
    cache: this.#edge("cache"),
    lock: this.#edge("lock"),
    checkpoint: this.#edge("checkpoint"),
  };

  private constructor(
    options: RedisConnectionOptions,
    connection: RedisConnection | undefined,
    quorum: readonly Redis[],
  ) {
    this.options = options;
    this.#connection = connection;
    this.#quorum = quorum;
    const subscriberOptions = { ...options, autoPipelining: false };
    this.#wakes = new LockWakes({
      prefix: options.prefix,
      cluster: options.topology === "cluster",
      makeClients: () =>
        options.topology === "redlock"
          ? options.hosts.map((host) => serverClient(subscriberOptions, host))
          : [primaryClient(subscriberOptions)],
      firstWaitMs: Math.min(options.connectTimeoutMs, 2000),
    });
  }

  /** Connects (failing with ERR_BACKEND_UNAVAILABLE within the connect timeout) and loads nothing else. */
  static async open(options: RedisConnectionOptions): Promise<RedisBackend> {
    if (options.topology === "redlock") {
      const clients = options.hosts.map((host) => serverClient({ ...options, autoPipelining: false }, host));
      for (const client of clients) defineScripts(client, LOCK_SCRIPTS);
      const connected = await Promise.allSettled(
        clients.map((client, i) => {
          const { host, port } = options.hosts[i] as { host: string; port: number };
          // A primary that is down now keeps reconnecting in the background; redlock needs only a majority.
          return client.connect().catch((error: unknown) => {
            throw new Error(`${host}:${port}: ${(error as Error).message}`);
          });
        }),
      );
      const up = connected.filter((result) => result.status === "fulfilled").length;
      if (up < Math.floor(clients.length / 2) + 1) {
        for (const client of clients) client.disconnect();
        const reasons = connected.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
        throw new BackendUnavailableError(
          `redlock: only ${up} of ${clients.length} primaries answered, a majority is needed: ${reasons.join("; ")}`,
        );
      }
      return new RedisBackend(options, undefined, clients);
    }
    // ioredis's own auto-pipelining stays off: RedisConnection batches a turn's commands itself.
    // Standalone and Sentinel: one watchdog timer bounds the commands instead of one timer per command.
    const watchdog = options.topology !== "cluster";
    const client = primaryClient({ ...options, autoPipelining: false }, { perCommandTimer: !watchdog });
    defineScripts(client, [...CACHE_SCRIPTS, ...LOCK_SCRIPTS, ...CHECKPOINT_SCRIPTS]);
    await connect(client, `${options.topology} Redis at ${describeHosts(options)}`, options.connectTimeoutMs);
    const connection = new RedisConnection(
      client,
      options.autoPipelining,
      watchdog ? options.commandTimeoutMs : undefined,
    );
    return new RedisBackend(options, connection, []);
  }

  /** One layout per namespace, so its stores share one upgrade of keys written under a legacy prefix. */
  #layout(namespace: string): KeyLayout {
    let layout = this.#layouts.get(namespace);
    if (!layout) {
      layout = new KeyLayout(this.options.prefix, namespace);
      const connection = this.#connection;
      const moving = layout;
      if (connection && layout.legacyBase !== layout.base)
        layout.upgradeWith(() => upgradeLegacyPrefix(connection, moving));
      this.#layouts.set(namespace, layout);
    }
    return layout;
  }

  cache(namespace: string): CacheDriver {
    if (!this.#connection) return refusing<CacheDriver>("cache");
    return wrapDriver(new RedisCacheDriver(this.#connection, this.#layout(namespace)), this.#edges.cache);
  }

  lock(namespace: string): LockDriver {
    const layout = this.#layout(namespace);
    if (this.#quorum.length > 0)
      return wrapDriver(
        new QuorumLockDriver(this.#quorum, layout, this.options.driftFactor, this.#wakes),
        this.#edges.lock,
      );
    return wrapDriver(new RedisLockDriver(this.#connection as RedisConnection, layout, this.#wakes), this.#edges.lock);
  }

  checkpoint(namespace: string): CheckpointDriver {
    if (!this.#connection) return refusing<CheckpointDriver>("checkpoint");
    return wrapDriver(new RedisCheckpointDriver(this.#connection, this.#layout(namespace)), this.#edges.checkpoint);
  }

  #edge(contract: string): DriverEdge {
    return {
      label: "redis backend",
      isClosed: () => this.#closed,
      classify: (error, method) => toStowageError(error, `${contract} ${method}`),
    };
  }

  async health(): Promise<BackendHealth> {
    const start = monotonicNow();
    const details: Record<string, unknown> = { topology: this.options.topology, hosts: describeHosts(this.options) };
    if (this.#closed) return { ok: false, backend: this.kind, latencyMs: 0, error: "closed", details };
    try {
      const servers = this.#connection ? [this.#connection.client] : this.#quorum;
      const answers = await Promise.allSettled(servers.map((server) => server.ping()));
      const up = answers.filter((a) => a.status === "fulfilled").length;
      const latencyMs = monotonicNow() - start;
      details.answering = `${up}/${servers.length}`;
      const needed = this.#connection ? 1 : Math.floor(servers.length / 2) + 1;
      const info =
        up > 0
          ? await (servers[answers.findIndex((a) => a.status === "fulfilled")] as RedisClient)
              .info("server")
              .catch(() => "")
          : "";
      const version = /redis_version:(\S+)/.exec(info)?.[1];
      const failure = answers.find((a) => a.status === "rejected") as PromiseRejectedResult | undefined;
      return {
        ok: up >= needed,
        backend: this.kind,
        latencyMs,
        ...(version ? { version } : {}),
        ...(up < needed ? { error: String((failure?.reason as Error | undefined)?.message ?? "unreachable") } : {}),
        details,
      };
    } catch (error) {
      return {
        ok: false,
        backend: this.kind,
        latencyMs: monotonicNow() - start,
        error: (error as Error).message,
        details,
      };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakes.close();
    const clients: RedisClient[] = this.#connection ? [this.#connection.client] : [...this.#quorum];
    await Promise.all(
      clients.map(async (client) => {
        try {
          await client.quit();
        } catch {
          // A connection that is already down has nothing to say goodbye to.
          client.disconnect();
        }
      }),
    );
    // Only now: the watchdog also bounds the QUIT to a server that hangs.
    this.#connection?.close();
  }
}

/**
 * A redlock:// backend serves locks only; its cache and checkpoint stores exist (so one URL can
 * open a whole storage) but every call fails with a ConfigError saying where to point them.
 */
function refusing<T extends object>(store: string): T {
  const error = () =>
    new ConfigError(
      `${store}.url`,
      `redlock:// URLs serve the lock store only; give the ${store} store a redis:// URL`,
    );
  return new Proxy({} as T, {
    get: (_target, property) => {
      if (property === "then") return undefined;
      if (property === "keys")
        return () => ({
          [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error()) }),
        });
      return () => Promise.reject(error());
    },
  });
}

function describeHosts(options: RedisConnectionOptions): string {
  return options.hosts.map(({ host, port }) => `${host}:${port}`).join(",");
}

/** Opens the backend a Redis URL names (the adapter's `open`). */
export async function openRedisBackend(options: BackendOpenOptions): Promise<RedisBackend> {
  // Redis evicts by its own maxmemory policy; a size we cannot enforce is refused rather than ignored.
  if (options.maxSizeBytes !== undefined) {
    throw new ConfigError(
      "maxSize",
      "Redis does not take a size limit from stowage; set maxmemory and maxmemory-policy (e.g. allkeys-lru) on the server",
    );
  }
  return RedisBackend.open(parseRedisUrl(options.url, options.params, options.options));
}
