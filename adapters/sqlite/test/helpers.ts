import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach } from "vitest";

/** A fresh temporary directory per test, removed after it. */
export function useTempDir(): { readonly path: string; url(file?: string): string } {
  let dir = "";
  const made: string[] = [];
  afterEach(() => {
    for (const path of made.splice(0)) rmSync(path, { recursive: true, force: true });
    dir = "";
  });
  const current = () => {
    if (!dir) {
      dir = mkdtempSync(join(tmpdir(), "stowage-sqlite-"));
      made.push(dir);
    }
    return dir;
  };
  return {
    get path() {
      return current();
    },
    url: (file = "stowage.db") => `sqlite://${pathToFileURL(join(current(), file)).pathname}`,
  };
}

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Runs a fixture script to completion and returns its stdout lines parsed as JSON where they are. */
export function runFixture(
  name: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {},
): { lines: unknown[]; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [fixture(name), ...args], {
    encoding: "utf8",
    timeout: 60_000,
    ...options,
  });
  const lines = result.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return line;
      }
    });
  return { lines, stderr: result.stderr, status: result.status };
}

/** The environment without any stowage or seed configuration. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(STOWAGE_|CACHE_|LOCK_DIR$)/.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * Runs a fixture that prints one line per acknowledged write, SIGKILLs it once it has acknowledged
 * `count`, and returns every line it printed (the keys it acknowledged).
 */
export function killAfterAcks(script: string, args: readonly string[], count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture(script), ...args], { stdio: ["ignore", "pipe", "inherit"] });
    const acked: string[] = [];
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`writer acknowledged only ${acked.length} writes in 60 s`));
    }, 60_000);
    createInterface({ input: child.stdout }).on("line", (key) => {
      acked.push(key);
      if (acked.length === count) child.kill("SIGKILL");
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`writer exited without being killed (${signal ?? code})`));
    });
  });
}
