// The tables both interleaved bench scripts print: each subject's median round per operation, and
// the first subject's ops/s over each other's in the same round (adjacent in time), with min-max.

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/**
 * `results`: Map of subject name -> { [op]: [{ opsPerSec, cpuUs, writes? }, …one per round] }.
 * `extra`: more per-round columns to report by median (e.g. writes per op).
 */
export function printReport(results, ops, heading, extra = {}) {
  const rows = [];
  for (const [name, r] of results) {
    for (const op of ops) {
      const row = {
        subject: name,
        op,
        opsPerSec: Math.round(median(r[op].map((x) => x.opsPerSec))),
        cpuUsPerOp: Number(median(r[op].map((x) => x.cpuUs)).toFixed(2)),
      };
      for (const [column, [field, digits]] of Object.entries(extra)) {
        row[column] = Number(median(r[op].map((x) => x[field])).toFixed(digits));
      }
      rows.push(row);
    }
  }
  console.log(heading);
  console.table(rows);
  const [first, ...others] = [...results.keys()];
  const paired = [];
  for (const other of others) {
    for (const op of ops) {
      const mine = results.get(first)[op];
      const theirs = results.get(other)[op];
      const ratios = mine.map((run, i) => run.opsPerSec / theirs[i].opsPerSec).sort((a, b) => a - b);
      const cpu = mine.map((run, i) => theirs[i].cpuUs / run.cpuUs).sort((a, b) => a - b);
      paired.push({
        ratio: `${first} / ${other}`,
        op,
        medianOpsRatio: Number(median(ratios).toFixed(2)),
        lowest: Number(ratios[0].toFixed(2)),
        highest: Number(ratios[ratios.length - 1].toFixed(2)),
        medianCpuRatio: Number(median(cpu).toFixed(2)),
      });
    }
  }
  if (paired.length > 0) console.table(paired);
}
