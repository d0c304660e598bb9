import { parseArgs } from "node:util";
import { type LanggraphRow, runLanggraphScenario } from "./langgraph-scenario.js";

// node bench/dist/langgraph/main.js [--steps 10,50,200] [--threads 4] [--rounds 3] [--samples 20] [--redis URL] [--savers a,b]
const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "10,50,200" },
    threads: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    samples: { type: "string", default: "20" },
    redis: { type: "string" },
    savers: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const rows = await runLanggraphScenario({
  steps: (values.steps as string).split(",").map(Number),
  threads: Number(values.threads),
  rounds: Number(values.rounds),
  samples: Number(values.samples),
  ...(values.redis !== undefined ? { redisUrl: values.redis } : {}),
  ...(values.savers !== undefined ? { savers: values.savers.split(",") } : {}),
});

const fixed = (value: number | undefined, digits: number) => (value === undefined ? "–" : value.toFixed(digits));
const ratio = (value: number | undefined) => (value === undefined ? "" : ` (${value.toFixed(2)}×)`);
const line = (row: LanggraphRow) =>
  `| ${row.saver} | ${row.steps} | ${fixed(row.runMs, 1)}${ratio(row.vsSqliteSaver?.run)} | ${fixed(row.putUs, 0)}${ratio(row.vsSqliteSaver?.put)} | ${fixed(row.getTupleUs, 0)}${ratio(row.vsSqliteSaver?.getTuple)} | ${fixed(row.historyMs, 1)}${ratio(row.vsSqliteSaver?.history)} | ${fixed(row.bytesPerThread === undefined ? undefined : row.bytesPerThread / 1024, 0)}${ratio(row.vsSqliteSaver?.bytes)} | ${fixed(row.bytesOverFinal, 2)} |`;
console.log("| saver | N | run ms | put µs | getTuple µs | history ms | KiB/thread | × final state |");
console.log("|---|---|---|---|---|---|---|---|");
for (const row of rows) console.log(line(row));
console.log(
  "(×) = SqliteSaver's figure over this saver's, median of per-round ratios; > 1 means ahead (smaller for bytes)",
);
if (values.json) console.log(JSON.stringify(rows));
