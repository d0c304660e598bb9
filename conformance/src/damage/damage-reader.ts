/**
 * The process that opens damaged stores for the damaged-stores group, so that a store which
 * crashes its reader (SIGBUS, SIGSEGV, abort) fails a test instead of the test runner. It reads
 * jobs as JSON lines on stdin and answers each with one JSON line: it opens the store, makes every
 * read twice (in order, then in reverse order a macrotask later, so a failed read that spoils later
 * ones shows up as two rounds that disagree), makes the acquisitions, and closes the store.
 */
import { createInterface } from "node:readline";
import { createStorage, isStowageError, type Storage } from "@stowage/core";
import type { AcquireOp, ReadOp } from "./damage-records.js";

export interface ReaderJob {
  url: string;
  namespace: string;
  reads: ReadOp[];
  acquires: AcquireOp[];
}

/** What one call gave: a value (as JSON), a StowageError's code, or any other error, which the SDK must never let out. */
export type Outcome = { value: unknown } | { code: string; message: string } | { raw: string };

export interface ReaderAnswer {
  open: Outcome;
  first: Outcome[];
  second: Outcome[];
  acquires: Outcome[];
  close: Outcome;
}

for (const specifier of JSON.parse(process.env.STOWAGE_CONFORMANCE_IMPORTS ?? "[]") as string[]) {
  await import(specifier);
}

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    const value = await call();
    return { value: value === undefined ? null : JSON.parse(JSON.stringify(value, bigintAsString)) };
  } catch (error) {
    if (isStowageError(error)) return { code: error.code, message: error.message };
    const where = (error as Error)?.stack?.split("\n").slice(1, 4).join(" ←").trim();
    return { raw: `${(error as Error)?.name}: ${(error as Error)?.message}${where ? ` (${where})` : ""}` };
  }
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function perform(storage: Storage, read: ReadOp): Promise<unknown> {
  switch (read.op) {
    case "cache.get":
      return storage.cache.get(read.key);
    case "cache.getMany":
      return storage.cache.getMany(read.keys);
    case "cache.keys":
      return collect(storage.cache.keys()).then((keys) => keys.sort());
    case "checkpoint.get":
      return storage.checkpoint
        .get(read.threadId, { ns: read.ns, ...(read.id !== undefined ? { id: read.id } : {}) })
        .then(
          (found) =>
            found && {
              id: found.id,
              parentId: found.parentId,
              metadata: found.metadata,
              payload: found.payload,
              channels: found.channels,
              channelValues: found.channelValues,
              pendingWrites: found.pendingWrites.map(({ taskId, index, channel, value }) => ({
                taskId,
                index,
                channel,
                value,
              })),
            },
        );
    case "checkpoint.list":
      return collect(storage.checkpoint.list(read.threadId !== undefined ? { threadId: read.threadId } : {})).then(
        (listed) => listed.map(({ id, metadata, payload }) => ({ id, metadata, payload })),
      );
    case "lock.inspect":
      return storage.lock.inspect(read.name).then((lease) => lease && { token: lease.token });
  }
}

async function run(job: ReaderJob): Promise<ReaderAnswer> {
  let storage: Storage | undefined;
  const open = await outcome(async () => {
    storage = await createStorage({ url: job.url, namespace: job.namespace });
    return "opened";
  });
  const answer: ReaderAnswer = { open, first: [], second: [], acquires: [], close: { value: null } };
  if (!storage) return answer;
  const opened = storage;
  for (const read of job.reads) answer.first.push(await outcome(() => perform(opened, read)));
  await new Promise((resolve) => setTimeout(resolve, 5));
  for (const read of [...job.reads].reverse()) answer.second.unshift(await outcome(() => perform(opened, read)));
  for (const acquire of job.acquires) {
    answer.acquires.push(
      await outcome(() => opened.lock.tryAcquire(acquire.name, { ttl: 60_000 }).then((lease) => lease?.token)),
    );
  }
  answer.close = await outcome(() => opened.close());
  return answer;
}

const lines = createInterface({ input: process.stdin });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of lines) {
  const answer = await run(JSON.parse(line) as ReaderJob);
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
