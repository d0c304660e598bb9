import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "@stowage/conformance/testing";
import { describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

describe("bench interrupted", () => {
  it("a ^C stops at the next finished row, keeps what was measured, says how far it got and exits 130", async () => {
    const dir = await tempDir("bench-interrupt");
    try {
      const child = spawn(
        process.execPath,
        [
          CLI,
          "--scenario",
          "seed",
          "--backends",
          "memory://",
          "--n",
          "2000",
          "--repeats",
          "5",
          "--warmup",
          "10",
          "--min-ms",
          "200",
          "--out",
          dir.path,
          "--json",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => {
        child.stderr.on("data", (chunk: Buffer) => {
          const first = stderr === "";
          stderr += chunk.toString();
          // The first finished row is on stderr (one line per row off a terminal): interrupt now.
          if (first) child.kill("SIGINT");
        });
        child.on("exit", resolve);
      });
      expect(code, stderr).toBe(130);
      const report = JSON.parse(stdout) as {
        ok: boolean;
        code: string;
        message: string;
        rows: { status: string; reason?: string }[];
      };
      expect(report).toMatchObject({ ok: false, code: "ERR_INTERRUPTED" });
      const measured = report.rows.filter((row) => row.status !== "skipped").length;
      expect(measured).toBeGreaterThan(0);
      expect(measured).toBeLessThan(report.rows.length);
      expect(report.message).toBe(
        `interrupted after ${measured} of ${report.rows.length} rows; re-run to measure the rest`,
      );
      // The partial report is still written.
      const json = (await readdir(dir.path)).find((name) => name.endsWith("Z.json")) as string;
      expect(JSON.parse(await readFile(join(dir.path, json), "utf8")).rows).toHaveLength(report.rows.length);
    } finally {
      await dir.remove();
    }
  }, 60_000);
});
