import { spawn } from "node:child_process";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { createStorage, type StoredEntry } from "@stowage/core";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BATCH_LIMITS } from "../src/commit-batch.js";
import { SqliteBackend } from "../src/index.js";
import { fixture, killAfterAcks, runFixture, useTempDir } from "./helpers.js";

const entry = (text: string): StoredEntry => ({ value: Buffer.from(text), expiresAt: null });
const text = (stored: StoredEntry | undefined) =>
  stored === undefined ? undefined : Buffer.from(stored.value).toString();

async function commitStats(backend: SqliteBackend): Promise<{ commits: number; writes: number }> {
  const { details } = await backend.health();
  return { commits: details?.commits as number, writes: details?.writes as number };
}

/** What another process would see: a fresh connection reading the committed state. */
function committedValue(path: string, namespace: string, key: string): string | undefined {
  const db = new Database(path, { readonly: true });
  try {
    const row = db.prepare("SELECT value FROM cache_entries WHERE namespace = ? AND key = ?").get(namespace, key) as
      | { value: Buffer }
      | undefined;
    return row?.value.toString();
  } finally {
    db.close();
  }
}

describe("sqlite group commit", () => {
  const tmp = useTempDir();
  const open = () => new SqliteBackend({ path: join(tmp.path, "stowage.db") });
  const limits = { ...BATCH_LIMITS };
  // No time bound while counting commits: a descheduled test process would split batches at random.
  beforeEach(() => {
    BATCH_LIMITS.ms = Number.POSITIVE_INFINITY;
  });
  afterEach(() => {
    Object.assign(BATCH_LIMITS, limits);
  });

  it("concurrent writes share one commit, run in call order, and resolve only once it is committed", async () => {
    const backend = open();
    const cache = backend.cache("ns");
    const path = join(tmp.path, "stowage.db");
    const before = await commitStats(backend);
    const calls = [
      cache.set("lone", entry("alone")), // nobody else in flight: its own commit
      cache.set("k", entry("one")),
      cache.delete("k"),
      cache.set("k", entry("two")),
      cache.get("k"), // a read on the connection sees the batch's writes
    ];
    // Not committed yet: another connection still sees nothing of the batch, the lone write already.
    expect(committedValue(path, "ns", "lone")).toBe("alone");
    expect(committedValue(path, "ns", "k")).toBeUndefined();
    const [, , deleted, , read] = await Promise.all(calls);
    expect(deleted).toBe(true);
    expect(text(read as StoredEntry)).toBe("two");
    expect(committedValue(path, "ns", "k")).toBe("two");
    const after = await commitStats(backend);
    expect(after.writes - before.writes).toBe(4);
    expect(after.commits - before.commits).toBe(2);
    await backend.close();
  });

  it("incr from N concurrent callers ends at N, in at most two commits", async () => {
    const backend = open();
    const cache = backend.cache("ns");
    const before = await commitStats(backend);
    const results = await Promise.all(Array.from({ length: 200 }, () => cache.incr("n", 1, null)));
    expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i + 1)); // call order
    expect((await commitStats(backend)).commits - before.commits).toBe(2);
    await backend.close();
  });

  it("a batch never takes more than BATCH_LIMITS.writes writes, nor a write once it is BATCH_LIMITS.ms old", async () => {
    const backend = open();
    const cache = backend.cache("ns");
    const before = await commitStats(backend);
    const count = 2 * BATCH_LIMITS.writes + 10;
    await Promise.all(Array.from({ length: count }, (_, i) => cache.set(`k${i}`, entry(String(i)))));
    const after = await commitStats(backend);
    expect(after.writes - before.writes).toBe(count);
    // One lone write, then full batches and a last partial one.
    expect(after.commits - before.commits).toBe(1 + Math.ceil((count - 1) / BATCH_LIMITS.writes));
    // Open 0 ms is already too old: each write commits the batch before it and opens the next.
    BATCH_LIMITS.ms = 0;
    await Promise.all(Array.from({ length: 10 }, (_, i) => cache.set(`t${i}`, entry(String(i)))));
    expect((await commitStats(backend)).commits - after.commits).toBe(10);
    await backend.close();
  });

  it("a write that fails alone rejects alone; the rest of its batch commits", async () => {
    const backend = open();
    const cache = backend.cache("ns");
    await cache.set("text", entry("not a counter"));
    const [a, bad, b] = await Promise.allSettled([
      cache.set("a", entry("a")),
      cache.incr("text", 1, null),
      cache.set("b", entry("b")),
    ]);
    expect(a.status).toBe("fulfilled");
    expect(bad.status).toBe("rejected");
    expect(b.status).toBe("fulfilled");
    const path = join(tmp.path, "stowage.db");
    expect([committedValue(path, "ns", "a"), committedValue(path, "ns", "b")]).toEqual(["a", "b"]);
    await backend.close();
  });

  it("any mix of writes issued at once ends as the same writes done one by one (property)", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 3 }), value: fc.nat(99) }),
      fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 3 }) }),
      fc.record({
        kind: fc.constant("incr" as const),
        key: fc.integer({ min: 4, max: 5 }),
        by: fc.integer({ min: -3, max: 3 }),
      }),
      fc.record({ kind: fc.constant("add" as const), key: fc.integer({ min: 0, max: 3 }), value: fc.nat(99) }),
    );
    const backend = open();
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const cache = backend.cache(`p${round++}`);
        const model = new Map<number, string>();
        const expected: unknown[] = [];
        for (const o of ops) {
          if (o.kind === "set") {
            model.set(o.key, String(o.value));
            expected.push(undefined);
          } else if (o.kind === "delete") {
            expected.push(model.delete(o.key));
          } else if (o.kind === "add") {
            const added = !model.has(o.key);
            if (added) model.set(o.key, String(o.value));
            expected.push(added);
          } else {
            const next = Number(model.get(o.key) ?? 0) + o.by;
            model.set(o.key, String(next));
            expected.push(next);
          }
        }
        const results = await Promise.all(
          ops.map((o) => {
            if (o.kind === "set") return cache.set(String(o.key), entry(String(o.value)));
            if (o.kind === "delete") return cache.delete(String(o.key));
            if (o.kind === "add") return cache.add(String(o.key), entry(String(o.value)));
            return cache.incr(String(o.key), o.by, null);
          }),
        );
        expect(results).toEqual(expected);
        for (let key = 0; key <= 5; key++) {
          const stored = await cache.get(String(key));
          expect(text(stored)).toBe(model.get(key));
        }
      }),
      { numRuns: 60 },
    );
    await backend.close();
  });

  it("a lock statement while a batch is open never joins it: it waits for the batch's commit, and its grant is committed when it returns", async () => {
    const path = join(tmp.path, "stowage.db");
    const backend = open();
    const cache = backend.cache("ns");
    const lock = backend.lock("locks");
    await cache.set("warm", entry("w"));
    const writes = [cache.set("lone", entry("1")), cache.set("a", entry("a")), cache.set("b", entry("b"))];
    expect(committedValue(path, "ns", "a")).toBeUndefined(); // the batch is open
    // Locks write on their own connection (sqlite-file.ts lockDatabase): the batch holds the write
    // lock, so the acquire tries again a turn later, after the batch committed.
    const grant = await lock.tryAcquire("L", 60_000);
    const other = new Database(path, { readonly: true });
    const row = other.prepare("SELECT token FROM lock_names WHERE namespace = 'locks' AND name = 'L'").get() as
      | { token: number }
      | undefined;
    other.close();
    expect(row).toBeDefined();
    expect(BigInt((row as { token: number }).token)).toBe(grant?.token);
    expect(committedValue(path, "ns", "a")).toBe("a");
    expect(committedValue(path, "ns", "b")).toBe("b");
    await Promise.all(writes);
    // A write after the lock opens no batch of its own: nothing else is in flight.
    await nextTurn();
    await cache.set("after", entry("x"));
    expect(committedValue(path, "ns", "after")).toBe("x");
    await backend.close();
  });

  it("a second connection of this process to the file commits the first one's open batch before it writes, instead of waiting out busy_timeout", async () => {
    const path = join(tmp.path, "stowage.db");
    const first = new SqliteBackend({ path, busyTimeoutMs: 60_000 });
    const second = new SqliteBackend({ path, busyTimeoutMs: 60_000 });
    const writes = [first.cache("ns").set("lone", entry("1")), first.cache("ns").set("a", entry("a"))];
    expect(committedValue(path, "ns", "a")).toBeUndefined(); // first's batch holds the writer lock
    // Would block this thread for busy_timeout (60 s) if it waited for first's commit.
    await second.cache("ns").set("b", entry("b"));
    expect(committedValue(path, "ns", "a")).toBe("a");
    await second.lock("locks").tryAcquire("L", 1_000);
    await Promise.all(writes);
    await first.close();
    await second.close();
  });

  it("close commits an open batch, and its writes resolve", async () => {
    const path = join(tmp.path, "stowage.db");
    const backend = open();
    const cache = backend.cache("ns");
    const writes = Promise.all([cache.set("a", entry("a")), cache.set("b", entry("b"))]);
    await backend.close();
    await writes;
    expect(committedValue(path, "ns", "b")).toBe("b");
  });

  it("a failing COMMIT (the WAL append refused: file size limit, as a full disk) rejects every write of the batch and leaves none visible", () => {
    const path = join(tmp.path, "stowage.db");
    const run = runFixture("full-disk-commit.mjs", [`${tmp.url()}?namespace=fd`, path]);
    expect(run.status, run.stderr).toBe(0);
    const { report, after } = run.lines[0] as { report: string[]; after: unknown[] };
    expect(report[0]).toBe("ok");
    expect(new Set(report.slice(1).map((r) => r.split(":")[0]))).toEqual(new Set(["ERR_BACKEND_UNAVAILABLE"]));
    expect(report).toHaveLength(43);
    expect(after).toEqual([null, null, null, null]);
    const db = new Database(path, { readonly: true });
    const keys = db
      .prepare("SELECT key FROM cache_entries WHERE namespace = 'fd' ORDER BY key")
      .pluck()
      .all() as string[];
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
    expect(keys).toEqual(["before", "lone"]);
  });

  it("a reader in another process never sees half a batch", async () => {
    const path = join(tmp.path, "stowage.db");
    const url = `${tmp.url()}?namespace=pair`;
    const seed = await createStorage(url);
    await seed.cache.set("x", 0);
    await seed.cache.set("y", 0);
    await seed.close();
    const child = spawn(process.execPath, [fixture("pair-writer.mjs"), url, "3000", "unbounded"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    let done = false;
    void exited.then(() => {
      done = true;
    });
    const db = new Database(path, { readonly: true });
    // One statement is one snapshot: both keys as of one commit.
    const both = db.prepare("SELECT key, value FROM cache_entries WHERE namespace = 'pair' AND key IN ('x', 'y')");
    let polls = 0;
    let changes = 0;
    let last = "0";
    const torn: string[] = [];
    while (!done) {
      for (let i = 0; i < 200; i++) {
        const rows = both.all() as { key: string; value: Buffer }[];
        const x = rows.find((r) => r.key === "x")?.value.toString();
        const y = rows.find((r) => r.key === "y")?.value.toString();
        polls++;
        if (x !== y) torn.push(`x=${x} y=${y}`);
        if (x !== last) {
          changes++;
          last = x as string;
        }
      }
      await nextTurn();
    }
    db.close();
    expect(await exited).toBe(0);
    expect(torn.slice(0, 5)).toEqual([]);
    // The writer did batch (its pairs shared commits), and the reader saw it move while it polled.
    const details = JSON.parse(output) as { commits: number; writes: number };
    expect(details.writes).toBeGreaterThanOrEqual(9000);
    expect(details.commits).toBe(2 * 3000); // a lone write and one batch of the pair per round
    console.log(`pair reader: ${polls} polls saw ${changes} changes of x; writer: ${JSON.stringify(details)}`);
    expect(changes).toBeGreaterThan(10);
  }, 90_000);

  for (const synchronous of ["normal", "full"] as const) {
    it(`a writer SIGKILLed mid-batch loses no acknowledged write (synchronous=${synchronous})`, async () => {
      const url = `${tmp.url()}?namespace=crash&synchronous=${synchronous}`;
      const acked = await killAfterAcks("batched-writer.mjs", [url, "16"], 400);
      const db = new Database(join(tmp.path, "stowage.db"));
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      db.close();
      const reopened = await createStorage(url);
      const values = (await reopened.cache.getMany(acked)) as ({ i: number } | undefined)[];
      const missing = acked.filter((key, n) => values[n]?.i !== Number(key.slice("acked:".length)));
      expect(missing).toEqual([]);
      await reopened.close();
    }, 90_000);
  }
});
