import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
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
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
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
    const out = await mkdtemp(join(tmpdir(), "bench-cli-"));
    dirs.push(out);
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
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^bench-.*\.json$/);
    expect(files[1]).toMatch(/^bench-.*\.svg$/);
    const report = JSON.parse(await readFile(join(out, files[0] as string), "utf8"));
    expect(report.rows).toHaveLength(30);
    expect(report.machine.node).toBe(process.version);
    expect(report.command).toContain("--scenario seed");
    const svg = await readFile(join(out, files[1] as string), "utf8");
    expect(svg).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
  });
});
