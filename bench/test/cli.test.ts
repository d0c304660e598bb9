import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { type TempDir, tempDir } from "@stowage/conformance/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/main.js";

async function capture(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  let stdout = "";
  out.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    const code = await main(argv, out);
    return { code, stdout, stderr };
  } finally {
    spy.mockRestore();
  }
}

describe("bench command", () => {
  const dirs: TempDir[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await dir.remove();
  });

  it("exits 2 with a clear message on a bad argument", async () => {
    const { code, stderr, stdout } = await capture(["--scenario", "warp"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /bench: --scenario: unknown scenario "warp"; allowed: seed, sweep, contention, checkpoint, all/,
    );
    expect(stdout).toBe("");
  });

  it("prints the options on --help", async () => {
    const { code, stdout } = await capture(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--scenario <names>/);
  });

  it("prints the table, writes JSON and SVG into --out, and reports progress on stderr", async () => {
    const scratch = await tempDir("bench-cli");
    dirs.push(scratch);
    const out = scratch.path;
    const { code, stdout, stderr } = await capture([
      "--scenario",
      "seed",
      "--backends",
      "memory://,nosuch://x",
      "--peers",
      "raw-better-sqlite3",
      "--n",
      "8",
      "--min-ms",
      "0",
      "--repeats",
      "1",
      "--warmup",
      "1",
      "--out",
      out,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\| seed +\| cache_set +\| memory:\/\/ +\| +8 \|/);
    expect(stdout).toMatch(/nosuch:\/\/x .*skipped: .*unknown URL scheme/);
    expect(stdout).toMatch(/seed: memory:\/\/ ops\/s ÷ peer ops\/s/);
    // Rows are reported as they finish: subjects take turns, so memory:// need not be first.
    expect(stderr).toMatch(/\[\d+\/30\] seed cache_set memory:\/\/: [\d,]+ ops\/s/);
    const files = (await readdir(out)).sort();
    // The JSON, one chart of every scenario, and one chart per scenario (here only seed).
    expect(files).toHaveLength(3);
    const [json, all, seed] = [/Z\.json$/, /Z\.svg$/, /Z-seed\.svg$/].map((name) => files.find((f) => name.test(f)));
    expect([json, all, seed].every((file) => file?.startsWith("bench-"))).toBe(true);
    expect(await readFile(join(out, seed as string), "utf8")).toContain("stowage bench seed, ");
    const report = JSON.parse(await readFile(join(out, json as string), "utf8"));
    expect(report.rows).toHaveLength(30);
    expect(report.machine.node).toBe(process.version);
    expect(report.command).toContain("--scenario seed");
    const svg = await readFile(join(out, all as string), "utf8");
    expect(svg).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
  });
});
