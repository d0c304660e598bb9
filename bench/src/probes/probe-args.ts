import { parseArgs } from "node:util";
import { ConfigError } from "@stowage/core";
import { envRedisUrl } from "../peers/redis-server.js";
import { PROBES, type Probe, type ProbeSettings } from "./index.js";

export const PROBE_USAGE = `Usage: npm run bench -- --probe <name> [options]

  --probe <name>   one of:
${PROBES.map((p) => `                     ${p.name.padEnd(22)} ${p.summary}`).join("\n")}
  --n <ops>        operations per round (each probe has its default)
  --rounds <r>     measured rounds, interleaved across subjects
  --c <loops>      concurrent loops (redis-concurrency 64, redis-lock 1)
  --size <bytes>   value size (redis-concurrency, default 100)
  --only <names>   comma-separated subjects (redis-concurrency, redis-lock, hybrid)
  --ops <names>    set,get (redis-concurrency)
  --alternate      time acquire+release pairs (redis-lock)
  --mark           markers for strace (fs-op-cost)
  --dir <dir>      where fs-op-cost writes (default a scratch directory); lock-release: a baseline checkout to pair with
  --trace <file>   the strace output fs-syscalls reads
  --url <url>      the Redis server of redis-* and hybrid (default REDIS_URL, else redis://127.0.0.1:6379)`;

const OPTIONS = {
  probe: { type: "string" },
  n: { type: "string" },
  rounds: { type: "string" },
  c: { type: "string" },
  size: { type: "string" },
  only: { type: "string" },
  ops: { type: "string" },
  alternate: { type: "boolean" },
  mark: { type: "boolean" },
  dir: { type: "string" },
  trace: { type: "string" },
  url: { type: "string" },
} as const;

function count(raw: string | undefined, field: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(field, `must be a whole number above 0, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const names = (raw: string | undefined) =>
  (raw ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

/** The probe `--probe` names and its settings; a bad option is a ConfigError naming it and what is allowed. */
export function parseProbeArgs(argv: readonly string[]): { probe: Probe; settings: ProbeSettings } {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>["values"];
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    throw new ConfigError("arguments", `${(error as Error).message}\n\n${PROBE_USAGE}`);
  }
  const probe = PROBES.find((p) => p.name === values.probe);
  if (!probe) {
    throw new ConfigError(
      "--probe",
      `unknown probe "${values.probe}"; allowed: ${PROBES.map((p) => p.name).join(", ")}`,
    );
  }
  const ops = names(values.ops);
  for (const op of ops)
    if (op !== "set" && op !== "get") throw new ConfigError("--ops", `allowed: set, get; got "${op}"`);
  return {
    probe,
    settings: {
      n: count(values.n, "--n", probe.defaults.n),
      rounds: count(values.rounds, "--rounds", probe.defaults.rounds),
      concurrency: count(values.c, "--c", probe.name === "redis-concurrency" ? 64 : 1),
      size: count(values.size, "--size", 100),
      only: names(values.only),
      redisUrl: values.url ?? envRedisUrl(),
      flags: {
        alternate: values.alternate ?? false,
        mark: values.mark ?? false,
        ...(values.trace === undefined ? {} : { trace: values.trace }),
        ...(values.dir === undefined ? {} : { dir: values.dir }),
        ...(ops.length > 0 ? { ops } : {}),
      },
    },
  };
}

/** Runs the probe the arguments name, printing its lines to `out`. */
export async function runProbe(argv: readonly string[], out: NodeJS.WritableStream): Promise<void> {
  const { probe, settings } = parseProbeArgs(argv);
  await probe.run(settings, (line) => out.write(`${line}\n`));
}
