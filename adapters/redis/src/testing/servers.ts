import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { freePort } from "./free-port.js";
import { RedisProcess } from "./redis-process.js";
import { generateCertificates, type TestCertificates } from "./tls-certs.js";

const run = promisify(execFile);

/** Servers started for a test run; `url` is what createStorage opens. */
export interface TestServers {
  url: string;
  /** The redis-server processes (primaries first), to stop, kill or restart one. */
  nodes: RedisProcess[];
  /** Stops every process and removes its files. */
  stop(): Promise<void>;
}

/** One server: `stop`/`kill` leave it down, `restart` brings it back (empty) on the same port. */
export interface TestServer extends TestServers {
  port: number;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/** The administrative commands managed services (ElastiCache, MemoryDB, …) disable. */
export const MANAGED_DISABLED_COMMANDS = [
  "CONFIG",
  "KEYS",
  "DEBUG",
  "SAVE",
  "BGSAVE",
  "BGREWRITEAOF",
  "SHUTDOWN",
  "MONITOR",
  "SLAVEOF",
  "REPLICAOF",
  "MODULE",
  "SYNC",
  "PSYNC",
] as const;

async function startProcess(options: ConstructorParameters<typeof RedisProcess>[0]): Promise<RedisProcess> {
  const server = new RedisProcess(options);
  await server.start();
  return server;
}

function single(server: RedisProcess, url: string, cleanup?: () => Promise<void>): TestServer {
  return {
    url,
    port: server.port,
    nodes: [server],
    stop: async () => {
      await server.dispose();
      await cleanup?.();
    },
    kill: () => server.kill(),
    restart: () => server.restart(),
  };
}

/** A plain redis-server on a free loopback port (no persistence); `password` turns on AUTH. */
export async function startStandalone(options: { password?: string; args?: string[] } = {}): Promise<TestServer> {
  const port = await freePort();
  const args = [...(options.password ? ["--requirepass", options.password] : []), ...(options.args ?? [])];
  const server = await startProcess({ port, args });
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  return single(server, `redis://${auth}127.0.0.1:${port}`);
}

/**
 * A server that behaves like a managed service: the administrative commands renamed away, and
 * an ACL user (not `default`) with a password, so the URL also proves AUTH with a user.
 */
export async function startManagedLike(): Promise<TestServer> {
  const port = await freePort();
  const renames = MANAGED_DISABLED_COMMANDS.flatMap((command) => ["--rename-command", command, ""]);
  const args = [...renames, "--user", "default", "off", "--user", "app", "on", ">managed-secret", "~*", "&*", "+@all"];
  const server = await startProcess({ port, args });
  return single(server, `redis://app:managed-secret@127.0.0.1:${port}`);
}

/** A TLS-only server with a certificate generated for the run; the URL names the CA file. */
export async function startTls(): Promise<TestServer & { certificates: TestCertificates }> {
  const certificates = await generateCertificates();
  const port = await freePort();
  const server = await startProcess({ port, args: tlsArgs(port, certificates) });
  const url = `rediss://127.0.0.1:${port}?ca=${encodeURIComponent(certificates.caFile)}`;
  const cleanup = () => rm(certificates.dir, { recursive: true, force: true });
  return { ...single(server, url, cleanup), certificates };
}

/** `count` independent primaries (no replication between them), for redlock. */
export async function startPrimaries(count = 3): Promise<TestServers> {
  const nodes = await Promise.all(Array.from({ length: count }, async () => startProcess({ port: await freePort() })));
  return {
    url: `redlock://${nodes.map((node) => `127.0.0.1:${node.port}`).join(",")}`,
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((node) => node.dispose()));
    },
  };
}

async function clusterIsReady(port: number, nodes: number, certificates?: TestCertificates): Promise<boolean> {
  const client = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    ...(certificates ? { tls: { ca: readFileSync(certificates.caFile) } } : {}),
  });
  try {
    await client.connect();
    const info = String(await client.cluster("INFO"));
    return info.includes("cluster_state:ok") && info.includes(`cluster_known_nodes:${nodes}`);
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** TLS arguments of a server that listens on `port` with TLS only. */
function tlsArgs(port: number, certificates: TestCertificates): string[] {
  return [
    "--port",
    "0",
    "--tls-port",
    String(port),
    "--tls-cert-file",
    certificates.certFile,
    "--tls-key-file",
    certificates.keyFile,
    "--tls-ca-cert-file",
    certificates.caFile,
    "--tls-auth-clients",
    "no",
  ];
}

/**
 * A Cluster of `primaries` primaries and no replicas, made with `redis-cli --cluster create`;
 * with `tls`, every node (and the cluster bus) speaks TLS only, like a TLS ElastiCache cluster.
 */
export async function startCluster(primaries = 3, options: { tls?: boolean } = {}): Promise<TestServers> {
  const certificates = options.tls ? await generateCertificates() : undefined;
  const ports: number[] = [];
  for (let i = 0; i < primaries; i++) {
    let port = await freePort({ withBusPort: true });
    while (ports.includes(port)) port = await freePort({ withBusPort: true });
    ports.push(port);
  }
  const nodes = await Promise.all(
    ports.map((port) =>
      startProcess({
        port,
        args: [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          `nodes-${port}.conf`,
          "--cluster-node-timeout",
          "2000",
          ...(certificates ? [...tlsArgs(port, certificates), "--tls-cluster", "yes"] : []),
        ],
      }),
    ),
  );
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.dispose()));
    if (certificates) await rm(certificates.dir, { recursive: true, force: true });
  };
  const cliTls = certificates ? ["--tls", "--cacert", certificates.caFile] : [];
  try {
    await run("redis-cli", [
      ...cliTls,
      "--cluster",
      "create",
      ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await Promise.all(ports.map((port) => clusterIsReady(port, primaries, certificates)));
      if (ready.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error("the test Cluster did not reach cluster_state:ok in 20 s");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const hosts = ports.map((port) => `127.0.0.1:${port}`).join(",");
  const url = certificates
    ? `rediss+cluster://${hosts}?ca=${encodeURIComponent(certificates.caFile)}`
    : `redis+cluster://${hosts}`;
  return { url, nodes, stop };
}

/** A primary, a replica and three sentinels watching them as `masterName`. */
export interface SentinelGroup extends TestServers {
  masterName: string;
  primary: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  /** The port of the server the sentinels now call the primary. */
  currentPrimaryPort(): Promise<number>;
  /** Forces a failover and resolves once every sentinel names the other server as primary. */
  failover(): Promise<void>;
}

async function sentinelCommand(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    return await client.call("SENTINEL", ...args);
  } finally {
    client.disconnect();
  }
}

/** Starts a Sentinel group; the URL is `redis+sentinel://s1,s2,s3/masterName`. */
export async function startSentinelGroup(masterName = "stowage"): Promise<SentinelGroup> {
  const primary = await startProcess({ port: await freePort() });
  const replica = await startProcess({
    port: await freePort(),
    args: ["--replicaof", "127.0.0.1", String(primary.port)],
  });
  const sentinels: RedisProcess[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const config = [
      `port ${port}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} 2`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      `sentinel parallel-syncs ${masterName} 1`,
      "",
    ].join("\n");
    const started = new RedisProcess({ port, sentinel: true, config, readyLine: /\+monitor master/ });
    await started.start();
    sentinels.push(started);
  }
  const nodes = [primary, replica, ...sentinels];
  const sentinelPort = (sentinels[0] as RedisProcess).port;
  const currentPrimaryPort = async () => {
    const address = (await sentinelCommand(sentinelPort, "GET-MASTER-ADDR-BY-NAME", masterName)) as string[];
    return Number(address[1]);
  };
  // Sentinels need to have seen the replica before a failover can pick it.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const replicas = (await sentinelCommand(sentinelPort, "REPLICAS", masterName)) as unknown[];
    if (replicas.length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}/${masterName}`,
    masterName,
    nodes,
    primary,
    replica,
    sentinels,
    currentPrimaryPort,
    async failover() {
      const before = await currentPrimaryPort();
      const until = Date.now() + 30_000;
      for (;;) {
        try {
          await sentinelCommand(sentinelPort, "FAILOVER", masterName);
        } catch (error) {
          // NOGOODSLAVE / INPROG while the sentinels are still settling: try again shortly.
          if (Date.now() > until) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500));
          continue;
        }
        break;
      }
      while ((await currentPrimaryPort()) === before) {
        if (Date.now() > until) throw new Error("the sentinels did not promote the replica in 30 s");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const promoted = await currentPrimaryPort();
      // The other sentinels learn the new primary from hello messages up to ~2 s later; until they
      // do, a client asking one of them connects to the old primary (which sentinel demotes ~10 s
      // later, killing its clients) and ioredis reconnects on their late +switch-master.
      for (const sentinel of sentinels) {
        for (;;) {
          const address = (await sentinelCommand(sentinel.port, "GET-MASTER-ADDR-BY-NAME", masterName)) as string[];
          if (Number(address[1]) === promoted) break;
          if (Date.now() > until) throw new Error(`sentinel ${sentinel.port} still names ${address[1]} after 30 s`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      // Wait until the promoted server answers as a primary.
      const client = new Redis({ port: promoted, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await client.connect();
        while (!String(await client.info("replication")).includes("role:master")) {
          if (Date.now() > until) throw new Error("the promoted server never reported role:master");
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      } finally {
        client.disconnect();
      }
    },
    stop: async () => {
      await Promise.all(nodes.map((node) => node.dispose()));
    },
  };
}
