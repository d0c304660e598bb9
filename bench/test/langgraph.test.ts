import { describe, expect, it } from "vitest";
import { runLanggraphScenario } from "../src/langgraph/langgraph-scenario.js";

describe("langgraph scenario", () => {
  it("runs a tiny graph through every saver and pairs each with SqliteSaver", async () => {
    const rows = await runLanggraphScenario({ steps: [3], threads: 2, rounds: 2, samples: 2 });
    expect(rows.map((row) => row.saver)).toEqual([
      "SqliteSaver",
      "stowage sqlite",
      "stowage sqlite zlib",
      "stowage lmdb",
      "stowage file",
      "stowage memory",
    ]);
    for (const row of rows) {
      expect(row.steps).toBe(3);
      for (const figure of [row.runMs, row.putUs, row.getTupleUs, row.historyMs]) expect(figure).toBeGreaterThan(0);
      if (row.saver === "SqliteSaver") expect(row.vsSqliteSaver).toBeUndefined();
      else expect(row.vsSqliteSaver?.run).toBeGreaterThan(0);
      // Every backend on disk reports the bytes a thread left; memory has no file to measure.
      if (row.saver === "stowage memory") expect(row.bytesPerThread).toBeUndefined();
      else expect(row.bytesPerThread).toBeGreaterThan(0);
    }
  }, 120_000);
});
