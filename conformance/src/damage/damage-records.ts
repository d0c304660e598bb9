import type { Storage } from "@stowage/core";

/** A read the reader process makes; every one is side-effect free, so it is made twice. */
export type ReadOp =
  | { op: "cache.get"; key: string }
  | { op: "cache.getMany"; keys: string[] }
  | { op: "cache.keys" }
  | { op: "checkpoint.get"; threadId: string; ns: string; id?: string }
  | { op: "checkpoint.list"; threadId?: string }
  | { op: "lock.inspect"; name: string };

/** The one write made after both rounds of reads: a lock acquisition, whose token must not go back. */
export interface AcquireOp {
  op: "lock.tryAcquire";
  name: string;
}

/** A read and what it returns from the store as it was written (values as the reader reports them). */
export interface PlannedRead {
  label: string;
  read: ReadOp;
  expected: unknown;
}

/** An acquisition and what it must give: nothing while the name is held, else a token above every one given before. */
export interface PlannedAcquire {
  label: string;
  acquire: AcquireOp;
  held: boolean;
  lastToken: bigint;
}

export interface DamagePlan {
  namespace: string;
  reads: PlannedRead[];
  acquires: PlannedAcquire[];
}

const DAY_MS = 86_400_000;

/** Cache values: each names its own key, so a read that returns another record's value cannot pass for this one. */
const CACHE: [string, unknown][] = [
  ["alpha", { record: "cache alpha", n: 1 }],
  ["bravo", "cache bravo: a plain string"],
  ["charlie/..\\%:{}", { record: "cache charlie", list: [1, 2, 3], text: "é😀" }],
  ["delta", { record: "cache delta", padding: "d".repeat(3000) }],
  ["echo", [true, null, "cache echo"]],
];

/** Writes one of each kind of record the contracts have into `storage`; returns the reads that find them. */
export async function writeRecords(storage: Storage, namespace: string): Promise<DamagePlan> {
  const reads: PlannedRead[] = [];
  const read = (label: string, op: ReadOp, expected: unknown) => reads.push({ label, read: op, expected });
  const { cache, checkpoint, lock } = storage;

  for (const [key, value] of CACHE) {
    await cache.set(key, value);
    read(`cache.get ${JSON.stringify(key)}`, { op: "cache.get", key }, value);
  }
  await cache.set("foxtrot", { record: "cache foxtrot", ttl: "one day" }, { ttl: DAY_MS });
  read(
    'cache.get "foxtrot" (with a ttl)',
    { op: "cache.get", key: "foxtrot" },
    { record: "cache foxtrot", ttl: "one day" },
  );
  for (let i = 0; i < 3; i++) await cache.incr("golf:counter");
  read('cache.get "golf:counter" (an incr counter)', { op: "cache.get", key: "golf:counter" }, 3);
  await cache.json.set("hotel:doc", "$.record", "cache hotel");
  await cache.json.set("hotel:doc", "$.nested.list", [4, 5]);
  read(
    'cache.get "hotel:doc" (a json.set document)',
    { op: "cache.get", key: "hotel:doc" },
    {
      record: "cache hotel",
      nested: { list: [4, 5] },
    },
  );
  const keys = [...CACHE.map(([key]) => key), "foxtrot", "golf:counter", "hotel:doc"];
  read(
    "cache.getMany of every key",
    { op: "cache.getMany", keys },
    reads.slice(0, keys.length).map((r) => r.expected),
  );
  read("cache.keys()", { op: "cache.keys" }, [...keys].sort());

  // Two threads, one in a named ns; each checkpoint has its own payload, blob versions and writes.
  const threads = [
    { threadId: "thread-1", ns: "", count: 3 },
    { threadId: "thread-2", ns: "inner", count: 2 },
  ];
  const all: { id: string; metadata: unknown; payload: unknown }[] = [];
  for (const { threadId, ns, count } of threads) {
    let parentId: string | null = null;
    const listed: { id: string; metadata: unknown; payload: unknown }[] = [];
    const messages: string[] = [];
    for (let step = 1; step <= count; step++) {
      messages.push(`${threadId} message ${step}`);
      const channels = { messages: `${step}.${threadId}`, step: step * 10 };
      const payload = { checkpoint: `${threadId}/${ns}/${step}` };
      const metadata = { step, thread: threadId };
      const { id } = await checkpoint.put({
        threadId,
        ns,
        parentId,
        metadata,
        payload,
        channels,
        blobs: [
          { channel: "messages", version: channels.messages, value: [...messages] },
          { channel: "step", version: channels.step, value: `${threadId} step ${step}` },
        ],
      });
      const writes =
        step === 1
          ? []
          : [
              { taskId: `task-${step}`, index: 0, channel: "messages", value: `${threadId} pending ${step}` },
              { taskId: `task-${step}`, index: -1, channel: "__error__", value: { error: `${threadId} ${step}` } },
            ];
      if (writes.length > 0) await checkpoint.putWrites(threadId, { ns, checkpointId: id }, writes);
      const expected = {
        id,
        parentId,
        metadata,
        payload,
        channels,
        channelValues: { messages: [...messages], step: `${threadId} step ${step}` },
        pendingWrites: writes,
      };
      read(
        `checkpoint.get ${threadId} ns=${JSON.stringify(ns)} id=${id}`,
        { op: "checkpoint.get", threadId, ns, id },
        expected,
      );
      if (step === count) {
        read(
          `checkpoint.get ${threadId} ns=${JSON.stringify(ns)} latest`,
          { op: "checkpoint.get", threadId, ns },
          expected,
        );
      }
      listed.unshift({ id, metadata, payload });
      parentId = id;
    }
    read(`checkpoint.list thread ${threadId}`, { op: "checkpoint.list", threadId }, listed);
    all.push(...listed);
  }
  all.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  read("checkpoint.list across threads", { op: "checkpoint.list" }, all);

  let lastReleased = 0n;
  for (let i = 0; i < 2; i++) {
    const lease = await lock.acquire("lock:released", { ttl: 60_000 });
    lastReleased = lease.token;
    await lease.release();
  }
  const held = await lock.acquire("lock:held", { ttl: DAY_MS });
  read('lock.inspect "lock:released"', { op: "lock.inspect", name: "lock:released" }, null);
  read('lock.inspect "lock:held"', { op: "lock.inspect", name: "lock:held" }, { token: held.token.toString() });
  const acquires: PlannedAcquire[] = [
    {
      label: 'lock.tryAcquire "lock:released"',
      acquire: { op: "lock.tryAcquire", name: "lock:released" },
      held: false,
      lastToken: lastReleased,
    },
    {
      label: 'lock.tryAcquire "lock:held"',
      acquire: { op: "lock.tryAcquire", name: "lock:held" },
      held: true,
      lastToken: held.token,
    },
  ];
  return { namespace, reads, acquires };
}
