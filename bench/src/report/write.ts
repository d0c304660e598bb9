import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchReport } from "../result.js";
import { ratios } from "./ratios.js";
import { svgChart } from "./svg.js";

/** The report as JSON: every row, the machine, the settings and the backend ÷ peer ratios. */
export function reportJson(report: BenchReport): string {
  return `${JSON.stringify({ ...report, ratios: ratios(report.rows) }, null, 2)}\n`;
}

/** Writes bench-<time>.json and .svg into `dir` and returns their paths. */
export async function writeReport(report: BenchReport, dir: string): Promise<{ json: string; svg: string }> {
  await mkdir(dir, { recursive: true });
  const stamp = report.startedAt.replaceAll(":", "-").replace(/\.\d+Z$/, "Z");
  const json = join(dir, `bench-${stamp}.json`);
  const svg = join(dir, `bench-${stamp}.svg`);
  await writeFile(json, reportJson(report));
  await writeFile(svg, svgChart(report.rows));
  return { json, svg };
}
