import { type ResultRow, rowLabel } from "../result.js";
import { formatRate } from "./format.js";

const WIDTH = 960;
const LABEL_WIDTH = 230;
const VALUE_WIDTH = 90;
const BAR_HEIGHT = 12;
const GROUP_GAP = 10;
const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
  "#393b79",
  "#637939",
  "#8c6d31",
  "#843c39",
  "#7b4173",
];

/** Escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/**
 * A horizontal bar chart of ops/s, one section per scenario and one bar per measured row,
 * on a log scale because the subjects span orders of magnitude. Skipped rows get no bar.
 */
export function svgChart(rows: readonly ResultRow[], title = "stowage bench: ops/s (log scale)"): string {
  const measured = rows.filter((row) => row.status === "ok" && row.opsPerSec !== undefined && row.opsPerSec > 0);
  const subjects = [...new Set(measured.map((row) => row.subject))];
  const colour = (subject: string) => PALETTE[subjects.indexOf(subject) % PALETTE.length] as string;
  const rates = measured.map((row) => row.opsPerSec as number);
  const low = Math.floor(Math.log10(Math.min(...rates, 10)));
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...rates, 10))));
  const barArea = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const x = (rate: number) => LABEL_WIDTH + ((Math.log10(rate) - low) / (high - low)) * barArea;

  const parts: string[] = [];
  let y = 30;
  parts.push(`<text x="10" y="20" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  subjects.forEach((subject, i) => {
    const column = i % 4;
    const line = Math.floor(i / 4);
    const lx = 10 + column * 235;
    const ly = y + line * 16;
    parts.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${colour(subject)}"/>`);
    parts.push(`<text x="${lx + 14}" y="${ly + 9}" font-size="11">${escapeXml(subject)}</text>`);
  });
  y += Math.ceil(subjects.length / 4) * 16 + 16;
  for (const scenario of new Set(measured.map((row) => row.scenario))) {
    parts.push(`<text x="10" y="${y + 12}" font-size="13" font-weight="bold">${escapeXml(scenario)}</text>`);
    y += 20;
    for (let exponent = low; exponent <= high; exponent++) {
      parts.push(
        `<text x="${x(10 ** exponent)}" y="${y + 8}" font-size="9" text-anchor="middle" fill="#666">1e${exponent}</text>`,
      );
    }
    y += 12;
    const inScenario = measured.filter((row) => row.scenario === scenario);
    for (const label of new Set(inScenario.map(rowLabel))) {
      const group = inScenario.filter((row) => rowLabel(row) === label);
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT - 2}" font-size="11" text-anchor="end">${escapeXml(label)}</text>`,
      );
      for (const row of group) {
        const rate = row.opsPerSec as number;
        const width = Math.max(1, x(rate) - LABEL_WIDTH);
        parts.push(
          `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT - 2}" fill="${colour(row.subject)}"><title>${escapeXml(`${row.subject} ${label}: ${formatRate(rate)} ops/s`)}</title></rect>`,
        );
        parts.push(
          `<text x="${(LABEL_WIDTH + width + 4).toFixed(1)}" y="${y + BAR_HEIGHT - 3}" font-size="9">${formatRate(rate)}</text>`,
        );
        y += BAR_HEIGHT;
      }
      y += GROUP_GAP;
    }
    y += 10;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">`,
    // The accessible name of the chart (viewers show it on hover; screen readers read it).
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
