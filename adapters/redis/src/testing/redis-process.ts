import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Every server process this module started, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Why a server did not start, with the tail of its log. */
export class ServerStartError extends Error {}

export interface RedisProcessOptions {
  /** The loopback port it listens on (the TLS port when `tls` args are given). */
  port: number;
  /** Arguments after the generated ones (`--port`, `--dir`, no persistence). */
  args?: string[];
  /** Config text written to a file in the server's directory and given first (sentinels rewrite theirs). */
  config?: string;
  /** Start as a sentinel. */
  sentinel?: boolean;
  /** The log line that says it is ready. */
  readyLine?: RegExp;
}

/** One redis-server (or sentinel) process on a loopback port; `restart` brings it back on the same port, empty. */
export class RedisProcess {
  readonly port: number;
  readonly #options: RedisProcessOptions;
  #child: ChildProcess | undefined;
  #dir: string | undefined;

  constructor(options: RedisProcessOptions) {
    this.port = options.port;
    this.#options = options;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts the process and resolves when it accepts connections. */
  async start(): Promise<void> {
    const dir = await this.dir();
    const configFile = join(dir, "redis.conf");
    if (this.#options.config !== undefined) await writeFile(configFile, this.#options.config);
    const args = [
      ...(this.#options.config !== undefined ? [configFile] : []),
      ...(this.#options.sentinel ? ["--sentinel"] : []),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      ...(this.#options.sentinel ? [] : ["--save", "", "--appendonly", "no"]),
      ...(this.#options.args?.some((a) => a === "--tls-port") ? [] : ["--port", String(this.port)]),
      ...(this.#options.args ?? []),
    ];
    const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    running.add(child);
    child.once("exit", () => running.delete(child));
    const ready = this.#options.readyLine ?? /Ready to accept connections/;
    let log = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new ServerStartError(`redis-server on ${this.port} not ready in 15 s:\n${log}`)),
        15_000,
      );
      const onData = (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-4000);
        if (ready.test(log)) done();
      };
      const onExit = (code: number | null) =>
        fail(new ServerStartError(`redis-server on ${this.port} exited (${code}) while starting:\n${log}`));
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.off("exit", onExit);
        // Keep draining output so a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const fail = (error: Error) => {
        cleanup();
        child.kill("SIGKILL");
        reject(error);
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", onExit);
    });
  }

  /** Stops the process with SIGTERM (no persistence: nothing is saved) and waits for it to exit. */
  async stop(): Promise<void> {
    await this.#signal("SIGTERM");
  }

  /** Kills the process with SIGKILL, as a crash would, and waits for it to exit. */
  async kill(): Promise<void> {
    await this.#signal("SIGKILL");
  }

  /** Starts it again on the same port; without persistence it comes back empty. */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.start();
  }

  /** Stops it and removes its data directory. */
  async dispose(): Promise<void> {
    await this.kill();
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }

  /** The directory it runs in (config files, cluster state). */
  async dir(): Promise<string> {
    this.#dir ??= await mkdtemp(join(tmpdir(), "stowage-redis-"));
    return this.#dir;
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
