import { parseArgs } from "node:util";
import { ConfigError } from "@stowage/core";
import { PEERS } from "./peers/index.js";
import type { RunSettings, Scenario } from "./scenarios/index.js";
import { SCENARIOS } from "./scenarios/index.js";

/** What one `npm run bench -- …` invocation asked for. */
export interface BenchOptions {
  scenarios: Scenario[];
  /** Backend URLs; "all" expands later to every local backend in a scratch directory plus Redis. */
  backends: string[];
  peers: string[];
  settings: RunSettings;
  /** Directory for the JSON and SVG results. */
  out: string;
  progress: boolean;
  json: boolean;
  help: boolean;
}

export const DEFAULTS = {
  scenario: "seed",
  backends: "memory://",
  peers: "none",
  n: 2000,
  repeats: 3,
  warmup: 200,
  minMs: 300,
  workers: 8,
  durationMs: 2000,
  holdMs: 0,
  callers: 1,
  threadSize: 10_000,
  out: "bench-results",
  concurrencies: [1, 4, 16, 64],
  valueSizes: [100, 10 * 1024, 1024 * 1024],
} as const;

export const USAGE = `Usage: stowage bench [options]   (also: stowage-bench, or npm run bench -- in this repository)

  --scenario <names>   comma-separated: ${SCENARIOS.map((s) => s.name).join(", ")}, or all (default ${DEFAULTS.scenario})
  --backends <urls>    comma-separated stowage URLs, e.g. memory://,sqlite:///tmp/b.db; "all" = memory,
                       sqlite, lmdb and file in a scratch directory, redis at REDIS_URL (else
                       127.0.0.1:6379) and hybrid+redis over it (default ${DEFAULTS.backends})
  --peers <names>      comma-separated: ${PEERS.map((p) => p.name).join(", ")}; all; none (default)
  --n <ops>            operations per row (default ${DEFAULTS.n})
  --repeats <runs>     measured runs per row; the median is reported (default ${DEFAULTS.repeats})
  --warmup <ops>       operations of the discarded warm-up run before each row (default ${DEFAULTS.warmup})
  --min-ms <ms>        shortest measured run: a run repeats its n operations until this long (default ${DEFAULTS.minMs})
  --workers <count>    lock contenders in contention (default ${DEFAULTS.workers})
  --duration <ms>      length of each contention run (default ${DEFAULTS.durationMs})
  --hold-ms <ms>       how long each contention acquisition is held before release (default ${DEFAULTS.holdMs})
  --callers <count>    concurrent callers per contention worker process (default ${DEFAULTS.callers})
  --kill-one           contention: SIGKILL one worker process while it waits, a third of the way in; the
                       row then reports the longest free gap (the stall it caused) over the survivors
  --thread-size <n>    checkpoints in the checkpoint scenario's thread (default ${DEFAULTS.threadSize})
  --out <dir>          where the JSON and SVG go (default ${DEFAULTS.out}/)
  --json               print the report as one JSON document on stdout (the files are written as well)
  --no-progress        no progress output on stderr
  --probe <name>       run one probe instead of scenarios (\`--probe help\` lists them and their options)
  --help               this text

Redis peers use the first redis:// backend's server, else REDIS_URL, else redis://127.0.0.1:6379 (database 0),
which the run then names on stderr.

Examples:
  stowage bench
  stowage bench --scenario seed --backends memory://,sqlite:///tmp/bench.db --n 5000
  REDIS_URL=redis://127.0.0.1:6390/15 stowage bench --backends all --peers all
  stowage bench --scenario contention --backends sqlite:///tmp/bench.db --json > bench.json`;

function positiveInteger(raw: string | undefined, field: string, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ConfigError(field, `must be a whole number${allowZero ? "" : " above 0"}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function list(raw: string): string[] {
  return raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Splits a backend list on the commas that start a new URL (or all/none), so redis+cluster://h1,h2 stays whole. */
export function splitUrls(raw: string): string[] {
  return raw
    .split(/,(?=\s*(?:[a-z][a-z0-9+.-]*:\/\/|(?:all|none)\s*(?:,|$)))/i)
    .map((url) => url.trim())
    .filter(Boolean);
}

function pickScenarios(raw: string): Scenario[] {
  const names = list(raw);
  if (names.length === 0) throw new ConfigError("--scenario", "names no scenario");
  if (names.includes("all")) return [...SCENARIOS];
  return names.map((name) => {
    const scenario = SCENARIOS.find((s) => s.name === name);
    if (!scenario) {
      throw new ConfigError(
        "--scenario",
        `unknown scenario "${name}"; allowed: ${SCENARIOS.map((s) => s.name).join(", ")}, all`,
      );
    }
    return scenario;
  });
}

function pickPeers(raw: string): string[] {
  const names = list(raw);
  if (names.includes("all")) return PEERS.map((peer) => peer.name);
  if (names.length === 1 && names[0] === "none") return [];
  for (const name of names) {
    if (!PEERS.some((peer) => peer.name === name)) {
      throw new ConfigError(
        "--peers",
        `unknown peer "${name}"; allowed: ${PEERS.map((p) => p.name).join(", ")}, all, none`,
      );
    }
  }
  return [...new Set(names)];
}

function pickBackends(raw: string): string[] {
  const urls = splitUrls(raw);
  if (urls.length === 1 && urls[0] === "none") return [];
  for (const url of urls) {
    if (url === "all") continue;
    try {
      // Multi-host URLs (redis+cluster://h1:7000,h2:7001, redlock://…) are not WHATWG URLs: check the first host's.
      new URL(url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^,/?]*),[^/?]*/i, "$1"));
    } catch {
      throw new ConfigError(
        "--backends",
        `${JSON.stringify(url)} is not a URL; give e.g. memory:// or sqlite:///tmp/bench.db`,
      );
    }
  }
  return [...new Set(urls)];
}

/** Parses the command line; a bad option is a ConfigError naming it and what is allowed. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: false; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true });
  } catch (error) {
    throw new ConfigError("arguments", `${(error as Error).message}\n\n${USAGE}`);
  }
  const values = parsed.values;
  const backends = pickBackends(values.backends ?? DEFAULTS.backends);
  const peers = pickPeers(values.peers ?? DEFAULTS.peers);
  if (backends.length === 0 && peers.length === 0) {
    throw new ConfigError("--backends", "nothing to measure: give at least one backend URL or peer");
  }
  return {
    scenarios: pickScenarios(values.scenario ?? DEFAULTS.scenario),
    backends,
    peers,
    settings: {
      n: positiveInteger(values.n, "--n", DEFAULTS.n),
      repeats: positiveInteger(values.repeats, "--repeats", DEFAULTS.repeats),
      warmup: positiveInteger(values.warmup, "--warmup", DEFAULTS.warmup, true),
      minMs: positiveInteger(values["min-ms"], "--min-ms", DEFAULTS.minMs, true),
      workers: positiveInteger(values.workers, "--workers", DEFAULTS.workers),
      durationMs: positiveInteger(values.duration, "--duration", DEFAULTS.durationMs),
      holdMs: positiveInteger(values["hold-ms"], "--hold-ms", DEFAULTS.holdMs, true),
      callers: positiveInteger(values.callers, "--callers", DEFAULTS.callers),
      killOne: values["kill-one"] ?? false,
      threadSize: positiveInteger(values["thread-size"], "--thread-size", DEFAULTS.threadSize),
      concurrencies: DEFAULTS.concurrencies,
      valueSizes: DEFAULTS.valueSizes,
    },
    out: values.out ?? DEFAULTS.out,
    progress: !values["no-progress"],
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

const OPTIONS = {
  scenario: { type: "string" },
  backends: { type: "string" },
  peers: { type: "string" },
  n: { type: "string" },
  repeats: { type: "string" },
  warmup: { type: "string" },
  "min-ms": { type: "string" },
  workers: { type: "string" },
  duration: { type: "string" },
  "hold-ms": { type: "string" },
  callers: { type: "string" },
  "kill-one": { type: "boolean" },
  "thread-size": { type: "string" },
  out: { type: "string" },
  "no-progress": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean" },
} as const;
