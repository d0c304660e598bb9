import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchReport } from "../result.js";
import { ratios } from "./ratios.js";
import { svgChart } from "./svg.js";

/** The report as JSON: every row, the machine, the settings and the backend ÷ peer ratios. */
export function reportJson(report: BenchReport): string {
  return `${JSON.stringify({ ...report, ratios: ratios(report.rows) }, null, 2)}\n`;
}

/** Writes bench-<time>.json, bench-<time>.svg (every scenario) and bench-<time>-<scenario>.svg (one chart each) into `dir`. */
export async function writeReport(
  report: BenchReport,
  dir: string,
): Promise<{ json: string; svg: string; charts: string[] }> {
  await mkdir(dir, { recursive: true });
  const stamp = report.startedAt.replaceAll(":", "-").replace(/\.\d+Z$/, "Z");
  const json = join(dir, `bench-${stamp}.json`);
  const svg = join(dir, `bench-${stamp}.svg`);
  await writeFile(json, reportJson(report));
  await writeFile(svg, svgChart(report.rows));
  const charts: string[] = [];
  for (const scenario of new Set(report.rows.map((row) => row.scenario))) {
    const chart = join(dir, `bench-${stamp}-${scenario}.svg`);
    const date = report.startedAt.slice(0, 16).replace("T", " ");
    await writeFile(
      chart,
      svgChart(
        report.rows.filter((row) => row.scenario === scenario),
        `stowage bench ${scenario}, ${date} UTC: ops/s (log scale)`,
      ),
    );
    charts.push(chart);
  }
  return { json, svg, charts };
}
