import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createStorage } from "@stowage/core";
import type * as VitestNode from "vitest/node";
import type { Reporter, TestCase, TestModule } from "vitest/node";
import { contractOf } from "../check/contract-of.js";
import { EXIT } from "../exit-codes.js";
import { optionalImport } from "../optional-import.js";
import { type Output, table } from "../output.js";
import { redact } from "../target-url.js";

const CHECK_FILE = fileURLToPath(new URL("../check/conformance.check.js", import.meta.url));

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  failures: { test: string; error: string }[];
}

/**
 * The contract a test's row counts under: its own, or, when that contract was not asked for (a shared
 * group such as bad input or identifier fuzz, titled for no contract), the one contract --only named.
 */
function contractFor(groups: string[], only: string[]): string {
  const contract = contractOf(groups);
  if (contract === "durability" || only.includes(contract) || only.length !== 1) return contract;
  return only[0] as string;
}

/** Property runs per generated group under --quick: every group still runs, each with a handful of cases. */
export const QUICK_RUNS = 3;

/** The titles of the groups around a test, innermost first, without the suite's own "conformance: …". */
function groupsOf(test: TestCase): string[] {
  const titles: string[] = [];
  for (let parent = test.parent; parent.type === "suite"; parent = parent.parent) {
    if (!parent.name.startsWith("conformance:")) titles.push(parent.name);
  }
  return titles;
}

/**
 * Runs the conformance suite on `url` (its own namespaces, cleaned after) and prints a pass/fail
 * matrix per contract. Every group the suite registers runs, the generated ones (properties,
 * model-based histories, fuzzed identifiers) at their npm-test size, or at QUICK_RUNS cases with
 * `quick` (STOWAGE_CONFORMANCE_RUNS, when set, wins over both).
 */
export async function check(givenUrl: string, only: string[], out: Output, quick = false): Promise<number> {
  // Neither is a dependency of the CLI: a user who runs check installs them (npm test tools, not runtime).
  const install = "-D @stowage/conformance vitest";
  const { startVitest } = await optionalImport<typeof VitestNode>("vitest/node", "stowage check", install);
  await optionalImport("@stowage/conformance", "stowage check", install);
  // Plain memory:// gives every open its own store; the suite needs instances that share one.
  const url = givenUrl === "memory://" || givenUrl === "memory:" ? "memory://stowage-check" : givenUrl;
  // Fail fast, with the backend's own one-line error, before starting a test run.
  const probe = await createStorage({ url, namespace: "stowage-check-probe" });
  try {
    const health = await probe.health();
    if (!health.ok) {
      out.result({ ok: false, url: redact(url), error: health.cache.error }, () =>
        out.line(`stowage: ${redact(url)} is not reachable: ${health.cache.error ?? "health check failed"}`),
      );
      return EXIT.unavailable;
    }
  } finally {
    await probe.close();
  }

  const tallies = new Map<string, Tally>();
  let progress: ReturnType<Output["progress"]> | undefined;
  const reporter: Reporter = {
    onTestModuleCollected(module: TestModule) {
      progress = out.progress("conformance", [...module.children.allTests()].length);
    },
    onTestCaseResult(test: TestCase) {
      progress?.tick();
      const group = test.parent.type === "suite" ? test.parent.name : "";
      const contract = contractFor(groupsOf(test), only);
      const tally = tallies.get(contract) ?? { passed: 0, failed: 0, skipped: 0, failures: [] };
      tallies.set(contract, tally);
      const result = test.result();
      if (result.state === "passed") tally.passed++;
      else if (result.state === "failed") {
        tally.failed++;
        tally.failures.push({
          test: `${group} > ${test.name}`,
          error: result.errors?.[0]?.message?.split("\n")[0] ?? "failed",
        });
      } else tally.skipped++;
    },
  };

  if (quick && !process.env.STOWAGE_CONFORMANCE_RUNS) process.env.STOWAGE_CONFORMANCE_RUNS = String(QUICK_RUNS);
  process.env.STOWAGE_CHECK_URL = url;
  process.env.STOWAGE_CHECK_ONLY = only.join(",");
  const vitest = await startVitest(
    "test",
    [],
    {
      config: false,
      root: dirname(CHECK_FILE),
      include: [join(dirname(CHECK_FILE), "conformance.check.js")],
      watch: false,
      reporters: [reporter],
      silent: true,
      testTimeout: 240_000,
      hookTimeout: 120_000,
      pool: "forks",
    },
    // Vite's cache (results.json) goes to the temp dir: never inside node_modules or the user's tree.
    { logLevel: "silent", cacheDir: join(tmpdir(), "stowage-check-vite") },
  );
  await vitest.close();
  progress?.stop();

  const contracts = ["cache", "lock", "checkpoint", "durability"].filter((c) => tallies.has(c));
  const failed = contracts.reduce((sum, c) => sum + (tallies.get(c)?.failed ?? 0), 0);
  const total = contracts.reduce((sum, c) => sum + (tallies.get(c)?.passed ?? 0), 0);
  const ok = failed === 0 && total > 0;
  out.result(
    { ok, url: redact(url), quick, contracts: Object.fromEntries(contracts.map((c) => [c, tallies.get(c)])) },
    () => {
      out.line(`conformance of ${redact(url)}`);
      out.line(
        table([
          ["contract", "passed", "failed", "skipped", ""],
          ...contracts.map((c) => {
            const t = tallies.get(c) as Tally;
            return [c, t.passed, t.failed, t.skipped, t.failed ? "FAIL" : "ok"];
          }),
        ]),
      );
      for (const c of contracts)
        for (const failure of tallies.get(c)?.failures ?? [])
          out.line(`  ✗ ${c}: ${failure.test}\n      ${failure.error}`);
      out.line(ok ? "all promises kept" : `${failed} failed`);
    },
  );
  return ok ? EXIT.ok : EXIT.failed;
}
