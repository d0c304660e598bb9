import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createStowageSaver } from "@stowage/langgraph";
import Database from "better-sqlite3";
import { agentGraph } from "./agent-graph.js";

// node bench/dist/langgraph/bytes-breakdown.js [--steps 200] [--compress 1024]
// Where the bytes of one agent thread go on SQLite: pages per table and index (dbstat), and the
// bytes of each column kind (channel maps, payloads, metadata, delta records, snapshots, small blobs, writes).
const { values } = parseArgs({ options: { steps: { type: "string", default: "200" }, compress: { type: "string" } } });
const steps = Number(values.steps);
const dir = mkdtempSync(join(tmpdir(), "stowage-bytes-"));
try {
  const path = join(dir, "ours.db");
  const saver = await createStowageSaver(`sqlite://${path}`, {
    namespace: "lg",
    ...(values.compress !== undefined ? { compressAbove: Number(values.compress) } : {}),
  });
  const state = await agentGraph(steps, saver).invoke(
    { step: 0, node: "start", done: false },
    { configurable: { thread_id: "t" }, recursionLimit: steps + 10 },
  );
  await saver.end();
  const finalBytes = Buffer.byteLength(JSON.stringify(state));
  const fileBytes = statSync(path).size;
  const db = new Database(path, { readonly: true });
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const share = (n: number) =>
    `${kib(n)} (${((100 * n) / fileBytes).toFixed(1)}%, ${(n / finalBytes).toFixed(2)}× final)`;
  console.log(`steps ${steps}: file ${share(fileBytes)}; final state ${kib(finalBytes)} (JSON)`);
  console.log("pages by table / index (dbstat: payload, unused in pages, whole pages):");
  const pages = db
    .prepare(
      `SELECT name, sum(payload) AS payload, sum(unused) AS unused, sum(pgsize) AS size, count(*) AS n
       FROM dbstat GROUP BY name ORDER BY size DESC`,
    )
    .all() as { name: string; payload: number; unused: number; size: number; n: number }[];
  for (const row of pages) {
    if (row.size < 8192) continue;
    console.log(`  ${row.name}: pages ${share(row.size)}, payload ${kib(row.payload)}, unused ${kib(row.unused)}`);
  }
  const freelist = (db.pragma("freelist_count", { simple: true }) as number) * 4096;
  console.log(`  free pages: ${share(freelist)}`);
  const one = (sql: string) => (db.prepare(sql).get() as { n: number | null }).n ?? 0;
  console.log("columns (bytes as stored):");
  const rows = one("SELECT count(*) AS n FROM checkpoints");
  console.log(`  checkpoints: ${rows} rows`);
  for (const column of ["channels", "payload", "metadata", "id", "parent_id", "thread_id", "namespace"]) {
    console.log(`    ${column}: ${share(one(`SELECT sum(length(CAST(${column} AS BLOB))) AS n FROM checkpoints`))}`);
  }
  const links = one(
    `SELECT sum(length(CAST(j.key AS BLOB)) + length(CAST(j.value AS BLOB)) + 6) AS n FROM checkpoints, json_each(channels) AS j
     WHERE unicode(j.key) = 64976`,
  );
  console.log(`    of channels, link entries (≈ name + version + quotes): ${share(links)}`);
  const blobs = (where: string) =>
    db
      .prepare(
        `SELECT count(*) AS n, sum(length(value)) AS value,
                sum(length(CAST(channel AS BLOB)) + length(CAST(version AS BLOB)) + length(CAST(thread_id AS BLOB)) + 16) AS keys
         FROM checkpoint_blobs WHERE ${where}`,
      )
      .get() as { n: number; value: number | null; keys: number | null };
  for (const [label, where] of [
    ["chain records (roots and deltas)", "unicode(channel) = 64976 OR hex(substr(value, 1, 1)) = 'D1'"],
    ["other big blobs (>= 1 KiB)", "NOT (unicode(channel) = 64976) AND length(value) >= 1024"],
    ["other small blobs (< 1 KiB)", "NOT (unicode(channel) = 64976) AND length(value) < 1024"],
  ] as const) {
    const b = blobs(where);
    console.log(`  blobs, ${label}: ${b.n} rows, values ${share(b.value ?? 0)}, keys ≈ ${kib(b.keys ?? 0)}`);
  }
  const writes = db
    .prepare(
      `SELECT count(*) AS n, sum(length(value)) AS value, channel FROM checkpoint_writes GROUP BY channel ORDER BY value DESC`,
    )
    .all() as { n: number; value: number; channel: string }[];
  for (const w of writes) console.log(`  writes to ${w.channel}: ${w.n} rows, values ${share(w.value)}`);
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
