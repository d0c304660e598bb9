import { describe, expect, it } from "vitest";
import { ratios, ratioTables } from "../src/report/ratios.js";
import { escapeXml, svgChart } from "../src/report/svg.js";
import { pivotTables, resultTable } from "../src/report/table.js";
import { reportJson } from "../src/report/write.js";
import { type BenchReport, formatBytes, type ResultRow, rowLabel } from "../src/result.js";

function row(
  subject: string,
  kind: "backend" | "peer",
  opsPerSec: number,
  overrides: Partial<ResultRow> = {},
): ResultRow {
  return {
    scenario: "seed",
    row: "cache_get",
    subject,
    kind,
    params: {},
    status: "ok",
    n: 2000,
    runs: 3,
    opsPerSec,
    p50Ms: 0.0123,
    p99Ms: 1.5,
    rssBytes: 100 * 1024 * 1024,
    ...overrides,
  };
}

const ROWS: ResultRow[] = [
  row("memory://", "backend", 40_000),
  row("raw-better-sqlite3", "peer", 20_000, { ceilingOf: "sqlite" }),
  row("keyv-<redis>", "peer", 80_000),
  {
    scenario: "seed",
    row: "cache_get",
    subject: "bentocache",
    kind: "peer",
    params: {},
    status: "skipped",
    reason: "Redis not reachable",
  },
  row("memory://", "backend", 1000, { scenario: "sweep", row: "get", params: { concurrency: 16, valueBytes: 10240 } }),
];

describe("labels", () => {
  it("names a row with its parameters", () => {
    expect(rowLabel({ row: "get", params: { concurrency: 16, valueBytes: 10240 } })).toBe("get c=16 10KB");
    expect(rowLabel({ row: "lock_cycle", params: { workers: 8 } })).toBe("lock_cycle w=8");
    expect(formatBytes(100)).toBe("100B");
    expect(formatBytes(1024 * 1024)).toBe("1MB");
    expect(formatBytes(1536)).toBe("1.5KB");
  });
});

describe("table", () => {
  it("prints every row, with ops/s, latencies, RSS and the reason of a skipped row", () => {
    const table = resultTable(ROWS);
    const lines = table.split("\n");
    expect(lines).toHaveLength(2 + ROWS.length);
    const header = (lines[0] as string).split("|").map((cell) => cell.trim());
    expect(header).toEqual([
      "",
      "scenario",
      "row",
      "subject",
      "n",
      "ops/s",
      "p50 ms",
      "p99 ms",
      "CPU µs/op",
      "RSS MB",
      "note",
      "",
    ]);
    expect(table).toContain("40,000");
    expect(table).toContain("0.0123");
    expect(table).toMatch(/\| +100 \|/);
    expect(table).toMatch(/bentocache .*skipped: Redis not reachable/);
    expect(table).toContain("get c=16 10KB");
  });
});

describe("pivot", () => {
  it("puts each scenario's subjects side by side, a line per row", () => {
    const pivot = pivotTables(ROWS);
    expect(pivot).toContain("seed: ops/s (median of repeats)");
    expect(pivot).toContain("sweep: ops/s (median of repeats)");
    expect(pivot).toMatch(/\| row +\| memory:\/\/ \| raw-better-sqlite3 \| keyv-<redis> \| bentocache \|/);
    expect(pivot).toMatch(/\| cache_get +\| +40,000 \| +20,000 \| +80,000 \| +skipped \|/);
    expect(pivot).toMatch(/\| get c=16 10KB \| +1,000 \|/);
  });
});

describe("ratios", () => {
  it("divides each backend's ops/s by each peer's on the same row only", () => {
    const found = ratios(ROWS);
    expect(found).toEqual([
      {
        scenario: "seed",
        row: "cache_get",
        backend: "memory://",
        peer: "raw-better-sqlite3",
        ratio: 2,
        paired: false,
        ceiling: false,
      },
      {
        scenario: "seed",
        row: "cache_get",
        backend: "memory://",
        peer: "keyv-<redis>",
        ratio: 0.5,
        paired: false,
        ceiling: false,
      },
    ]);
    const tables = ratioTables(found);
    expect(tables).toContain("seed: memory:// ops/s ÷ peer ops/s");
    expect(tables).toMatch(/\| cache_get \| +2\.00x \| +0\.50x \|/);
  });

  it("marks the backend's own raw driver as its ceiling and puts it first", () => {
    const rows = [
      row("sqlite:///tmp/b.db", "backend", 30_000),
      row("keyv-sqlite", "peer", 10_000),
      row("raw-better-sqlite3", "peer", 60_000, { ceilingOf: "sqlite" }),
      row("rediss://h:6380", "backend", 5_000),
      row("raw-ioredis", "peer", 10_000, { ceilingOf: "redis" }),
    ];
    const found = ratios(rows);
    expect(found.filter((ratio) => ratio.ceiling).map((ratio) => [ratio.backend, ratio.peer, ratio.ratio])).toEqual([
      ["sqlite:///tmp/b.db", "raw-better-sqlite3", 0.5],
      ["rediss://h:6380", "raw-ioredis", 0.5],
    ]);
    const sqliteTable = ratioTables(found.filter((ratio) => ratio.backend.startsWith("sqlite")));
    expect(sqliteTable).toMatch(/\| row +\| raw-better-sqlite3 \(ceiling\) \| keyv-sqlite \| raw-ioredis \|/);
    expect(sqliteTable).toMatch(/\| cache_get \| +0\.50x \| +3\.00x \| +3\.00x \|/);
  });
});

describe("SVG chart", () => {
  it("draws one bar per measured row, none for skipped rows, and escapes names", () => {
    const svg = svgChart(ROWS);
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(4);
    expect(svg).toContain("keyv-&lt;redis&gt;");
    expect(svg).not.toContain("keyv-<redis>");
    expect(svg).not.toContain("bentocache");
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(escapeXml(`a&b"'`)).toBe("a&amp;b&quot;&apos;");
  });

  it("still draws a valid chart when nothing was measured", () => {
    const svg = svgChart([ROWS[3] as ResultRow]);
    expect(svg).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});

describe("JSON", () => {
  it("round-trips the rows, machine and settings, and adds the ratios", () => {
    const report: BenchReport = {
      startedAt: "2026-01-01T00:00:00.000Z",
      finishedAt: "2026-01-01T00:01:00.000Z",
      command: "npm run bench -- --scenario seed",
      machine: { node: "v20", platform: "linux", arch: "x64", cpus: 2, cpuModel: "cpu", memoryBytes: 1 },
      settings: { n: 2000 },
      rows: ROWS,
    };
    const parsed = JSON.parse(reportJson(report));
    expect(parsed.rows).toEqual(ROWS);
    expect(parsed.machine.cpus).toBe(2);
    expect(parsed.settings.n).toBe(2000);
    expect(parsed.ratios).toHaveLength(2);
  });
});
