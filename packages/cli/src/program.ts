import { readFileSync } from "node:fs";
import { ConfigError, isStowageError } from "@stowage/core";
import { Command, CommanderError, Option } from "commander";
import { bench } from "./commands/bench.js";
import { check } from "./commands/check.js";
import { demo } from "./commands/demo.js";
import { gc } from "./commands/gc.js";
import { health } from "./commands/health.js";
import { migrate } from "./commands/migrate.js";
import { describeError, EXIT, exitCodeFor } from "./exit-codes.js";
import { createOutput } from "./output.js";
import { resolveUrl } from "./target-url.js";

const EXIT_HELP = `
Exit codes:
  0   success
  1   a check failed, a migration did not verify, or a store is unhealthy
  2   bad arguments, URL or configuration
  3   a backend could not be reached
  4   stored data is corrupt or not stowage's
  70  an internal error (STOWAGE_DEBUG=1 prints the stack)

URL: an argument, else STOWAGE_URL (or CACHE_DIR/LOCK_DIR), else SQLite in ./.stowage/.`;

function parseList<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T[] => {
    const items = value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    for (const item of items) {
      if (!(allowed as readonly string[]).includes(item)) {
        throw new ConfigError(flag, `must be a comma-separated list of ${allowed.join(", ")}, got "${item}"`);
      }
    }
    if (items.length === 0) throw new ConfigError(flag, "is empty");
    return items as T[];
  };
}

function parsePositive(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new ConfigError(flag, `must be a positive integer, got "${value}"`);
    return n;
  };
}

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
  .version;

/** Builds the `stowage` program; each action resolves to the exit code. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("stowage")
    .description("One interface for a cache, a lock and a checkpoint store on memory, SQLite, LMDB, files or Redis.")
    .version(VERSION, "-V, --version", "print the version of @stowage/cli")
    .showHelpAfterError(false)
    .addHelpText("after", EXIT_HELP)
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(text.startsWith("error:") ? `stowage: ${text.slice(7)}` : text),
    });

  const json = new Option("--json", "print one JSON document instead of text");
  const namespace = new Option("-n, --namespace <name>", "store namespace").default("default");

  program
    .command("demo")
    .description("show a cache, a lock and a checkpoint store working (namespace stowage-demo, cleaned up)")
    .argument("[url]", "backend URL")
    .addOption(json)
    .addHelpText("after", "\nExamples:\n  stowage demo\n  stowage demo redis://127.0.0.1:6379")
    .action(async (url: string | undefined, opts: { json?: boolean }) =>
      setExit(await demo(resolveUrl(url), createOutput(!!opts.json))),
    );

  program
    .command("check")
    .description("run the conformance suite against a backend and print a pass/fail matrix per contract")
    .argument("[url]", "backend URL")
    .option(
      "--only <contracts>",
      "cache,lock,checkpoint",
      parseList("--only", ["cache", "lock", "checkpoint"] as const),
    )
    .option("--quick", "every group, but the generated ones (properties, histories, fuzz) with a few cases each")
    .addOption(json)
    .addHelpText(
      "after",
      "\nIt runs every group of @stowage/conformance (examples, properties, model-based histories, fuzzed\nidentifiers, value edges, processes, crashes) in namespaces of its own (stowage-check-*) and removes what it\nwrote; only the fencing counters of its test locks remain, because tokens must never repeat. Generated groups\nrun at the size npm test uses; --quick runs each with 3 cases (minutes less on a remote server);\nSTOWAGE_CONFORMANCE_RUNS=N sets the number of cases yourself (a nightly-sized run: 200), and\nSTOWAGE_CONFORMANCE_SEED replays a failure with the seed it printed.\n\nExamples:\n  stowage check\n  stowage check sqlite:///var/lib/app/stowage.db --quick\n  stowage check rediss://user:token@my-cache.example:6379 --only cache,lock --json\n  STOWAGE_CONFORMANCE_RUNS=200 stowage check redis://127.0.0.1:6379/15",
    )
    .action(async (url: string | undefined, opts: { only?: string[]; quick?: boolean; json?: boolean }) =>
      setExit(
        await check(
          resolveUrl(url),
          opts.only ?? ["cache", "lock", "checkpoint"],
          createOutput(!!opts.json),
          !!opts.quick,
        ),
      ),
    );

  program
    .command("health")
    .description("reachability, latency, version and what is stored, per store")
    .argument("[url]", "backend URL")
    .addOption(namespace)
    .addOption(json)
    .addHelpText("after", "\nExamples:\n  stowage health\n  stowage health redis://127.0.0.1:6379 --json")
    .action(async (url: string | undefined, opts: { namespace: string; json?: boolean }) =>
      setExit(await health(resolveUrl(url), opts.namespace, createOutput(!!opts.json))),
    );

  program
    .command("gc")
    .description("sweep expired entries, temporary files and expired checkpoints; report what was removed")
    .argument("[url]", "backend URL")
    .addOption(namespace)
    .addOption(json)
    .addHelpText("after", "\nExamples:\n  stowage gc\n  stowage gc file:///var/cache/app --namespace jobs")
    .action(async (url: string | undefined, opts: { namespace: string; json?: boolean }) =>
      setExit(await gc(resolveUrl(url), opts.namespace, createOutput(!!opts.json))),
    );

  program
    .command("migrate")
    .description("copy cache entries (with remaining TTL) and checkpoints from one backend to another, then verify")
    .requiredOption("--from <url>", "source backend URL")
    .requiredOption("--to <url>", "target backend URL")
    .option(
      "--only <stores>",
      "cache,checkpoint,lock (lock: fencing counters)",
      parseList("--only", ["cache", "checkpoint", "lock"] as const),
    )
    .option("--namespaces <names>", "comma-separated namespaces to copy", "default")
    .option("--batch <n>", "entries per batch", parsePositive("--batch"), 500)
    .option("--dry-run", "count what would be copied; write nothing")
    .option("--source-wins", "overwrite target records the application changed after they were copied")
    .addOption(json)
    .addHelpText(
      "after",
      "\nResumable: after an interruption (^C prints how far it got), run the same command again. A re-run after the\napplication started writing to the target keeps what the application wrote (a ledger in the target, namespace\n_migrate.<namespace>, notes what the migration wrote) and reports it; --source-wins overwrites it. Fencing\ncounters move to the larger of both sides, so tokens never go back. The verification compares every record and\nsays why one differs (new, changed or deleted on the target; missing; differs); only missing or differing fail.\n\nExamples:\n  stowage migrate --from sqlite:///var/lib/app/stowage.db --to rediss://user:token@my-cache.example:6379\n  stowage migrate --from redis://old:6379 --to lmdb:///var/lib/app/stowage --only cache --dry-run",
    )
    .action(
      async (opts: {
        from: string;
        to: string;
        only?: ("cache" | "checkpoint" | "lock")[];
        namespaces: string;
        batch: number;
        dryRun?: boolean;
        sourceWins?: boolean;
        json?: boolean;
      }) =>
        setExit(
          await migrate(
            {
              from: resolveUrl(opts.from),
              to: resolveUrl(opts.to),
              only: opts.only ?? ["cache", "checkpoint", "lock"],
              namespaces: opts.namespaces
                .split(",")
                .map((n) => n.trim())
                .filter(Boolean),
              dryRun: !!opts.dryRun,
              sourceWins: !!opts.sourceWins,
              batch: opts.batch,
            },
            createOutput(!!opts.json),
          ),
        ),
    );

  program
    .command("bench")
    .description("the benchmark harness of @stowage/bench (install it; stowage bench --help for its options)")
    .allowUnknownOption()
    .helpOption(false)
    .argument("[args...]")
    .action(async (args: string[]) => setExit(await bench(args)));

  return program;
}

/** Runs the program; returns the exit code (errors become one line on stderr). */
export async function runCli(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  // Under --json a failure is a document too, so a script reading stdout always gets one.
  const json = argv.slice(2).includes("--json") && argv[2] !== "bench";
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code)) return EXIT.ok;
      if (json) printJsonFailure("ERR_USAGE", error.message.replace(/^error: /, ""));
      return EXIT.usage;
    }
    process.stderr.write(`${describeError(error)}\n`);
    if (json) {
      const code = isStowageError(error) ? error.code : "ERR_INTERNAL";
      printJsonFailure(code, (error as Error)?.message ?? String(error));
    }
    return exitCodeFor(error);
  }
}

function printJsonFailure(code: string, message: string): void {
  process.stdout.write(`${JSON.stringify({ ok: false, code, message })}\n`);
}
