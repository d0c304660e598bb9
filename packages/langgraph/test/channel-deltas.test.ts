import { randomBytes } from "node:crypto";
import { type CheckpointStore, createStorage, newCheckpointId, type Storage } from "@stowage/core";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { backendsUnderTest, inNamespace, releaseBackends } from "../../keyv/test/backends.js";

const backends = await backendsUnderTest("channel-deltas");
afterAll(releaseBackends);

const MARK = "\uFDD0";
let opened = 0;

/** Two stores on one namespace of the backend: the second stands for another process (its own memory). */
async function openPair(url: string, shared: boolean): Promise<[Storage, Storage]> {
  const namespace = `deltas-${process.pid}-${++opened}`;
  const first = await createStorage(inNamespace(url, namespace));
  const second = shared ? await createStorage(inNamespace(url, namespace)) : first;
  return [first, second];
}

const closePair = async ([a, b]: [Storage, Storage]) => {
  await a.close();
  if (b !== a) await b.close();
};

const newVersion = (counter: number) => `${String(counter).padStart(20, "0")}.${randomBytes(6).toString("hex")}`;

/** The stored channel map (links included), as the driver keeps it. */
async function rawChannels(storage: Storage, threadId: string, id?: string): Promise<Record<string, string | number>> {
  const loaded = await (storage.checkpoint as CheckpointStore).driver.get(threadId, "", id);
  return loaded?.channels ?? {};
}

interface ModelCheckpoint {
  id: string;
  messages: unknown[];
  count: number;
  versions: { messages: string; count: string };
}

/** Puts a child of `parent` (or a first checkpoint) whose messages are `messages`, through `storage`. */
async function putChild(
  storage: Storage,
  threadId: string,
  parent: ModelCheckpoint | undefined,
  messages: unknown[],
  count: number,
  counter: number,
): Promise<ModelCheckpoint> {
  const id = newCheckpointId();
  const versions = {
    messages: newVersion(counter),
    count: parent && parent.count === count ? parent.versions.count : newVersion(counter),
  };
  const blobs = [{ channel: "messages", version: versions.messages, value: messages }];
  if (versions.count !== parent?.versions.count)
    blobs.push({ channel: "count", version: versions.count, value: [count] });
  await storage.checkpoint.put(
    { threadId, id, parentId: parent?.id ?? null, payload: { step: counter }, channels: versions, blobs },
    { channelDeltas: true },
  );
  return { id, messages, count, versions };
}

/** Every checkpoint of `model` reads as it was put; with `complete`, list gives exactly the model. */
async function expectReads(
  storage: Storage,
  threadId: string,
  model: ModelCheckpoint[],
  complete = true,
): Promise<void> {
  for (const checkpoint of model) {
    const loaded = await storage.checkpoint.get(threadId, { id: checkpoint.id });
    expect(loaded?.channels).toEqual(checkpoint.versions);
    expect(loaded?.channelValues).toEqual({ messages: checkpoint.messages, count: [checkpoint.count] });
  }
  if (!complete) return;
  const listed = [];
  for await (const checkpoint of storage.checkpoint.list({ threadId })) listed.push(checkpoint);
  expect(listed.map((c) => c.channels)).toEqual(
    [...model].sort((a, b) => (a.id < b.id ? 1 : -1)).map((c) => c.versions),
  );
}

const message = fc.record({ role: fc.constantFrom("user", "ai"), content: fc.string({ maxLength: 40 }) });

type Step =
  | { kind: "append"; from: number; add: { role: string; content: string }[]; bump: boolean; other: boolean }
  | { kind: "rewrite"; from: number; keep: number; other: boolean }
  | { kind: "prune"; keepLast: number }
  | { kind: "delete" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      // 0 continues the newest checkpoint; otherwise forks from an older one.
      from: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(30) }),
      add: fc.array(message, { maxLength: 3 }),
      bump: fc.boolean(),
      other: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("rewrite" as const),
      from: fc.nat(30),
      keep: fc.nat(5),
      other: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("prune" as const), keepLast: fc.integer({ min: 1, max: 6 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const) }) },
);

for (const backend of backends) {
  const suite = `channel deltas on ${backend.name}`;
  if (backend.skip) {
    console.log(`${suite} skipped: ${backend.skip}`);
    describe.skip(`${suite} (skipped: ${backend.skip})`, () => {});
    continue;
  }
  // memory:// is one process's memory: a second store on it would be another store, not another writer.
  const shared = backend.name !== "memory";

  describe(suite, () => {
    it("random histories of appends, rewrites, forks, prunes and deletes read as the model after every step", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
          const pair = await openPair(backend.url, shared);
          const threadId = `t-${randomBytes(4).toString("hex")}`;
          let model: ModelCheckpoint[] = [];
          let counter = 0;
          try {
            for (const next of steps) {
              const writer = pair[next.kind !== "prune" && next.kind !== "delete" && next.other ? 1 : 0];
              if (next.kind === "append" || next.kind === "rewrite") {
                const newest = model[model.length - 1];
                const parent = next.from === 0 ? newest : model[next.from % Math.max(model.length, 1)];
                const messages =
                  next.kind === "append"
                    ? [...(parent?.messages ?? []), ...next.add]
                    : [
                        { role: "system", content: `rewrite ${counter}` },
                        ...(parent?.messages ?? []).slice(0, next.keep),
                      ];
                const count = (parent?.count ?? 0) + (next.kind === "append" && next.bump ? 1 : 0);
                model.push(await putChild(writer, threadId, parent, messages, count, ++counter));
              } else if (next.kind === "prune") {
                await pair[0].checkpoint.prune(threadId, { keepLast: next.keepLast });
                model = model.slice(-next.keepLast);
              } else {
                await pair[0].checkpoint.deleteThread(threadId);
                expect(await pair[0].checkpoint.countThread(threadId)).toBe(0);
                model = [];
              }
              await expectReads(pair[0], threadId, model);
              if (shared) await expectReads(pair[1], threadId, model);
            }
          } finally {
            await pair[0].checkpoint.deleteThread(threadId);
            await closePair(pair);
          }
        }),
        { numRuns: backend.name === "redis" || backend.name === "file" ? 15 : 30 },
      );
    }, 300_000);

    it("a conversation of 300 appends stores deltas and a load reads a bounded number of records", async () => {
      const pair = await openPair(backend.url, false);
      const threadId = "long";
      let parent: ModelCheckpoint | undefined;
      const model: ModelCheckpoint[] = [];
      for (let i = 1; i <= 300; i++) {
        const messages = [...(parent?.messages ?? []), { role: "user", content: `m${i} ${"x".repeat(200)}` }];
        parent = await putChild(pair[0], threadId, parent, messages, 0, i);
        model.push(parent);
      }
      const raw = await rawChannels(pair[0], threadId);
      const links = Object.keys(raw).filter((name) => name.startsWith(MARK));
      // Skip-deltas in base 16: depth 299 = 0x12B reads its root, 1 + 2 + 11 delta records (256,
      // 272, 288, 289…299), and count's one root; each named in about 20 bytes of the map.
      expect(links.length).toBe(1 + 1 + 2 + 11 + 1);
      expect(links.every((name) => raw[name] === 0 && name.length === 14)).toBe(true);
      const loaded = await (pair[0].checkpoint as CheckpointStore).driver.get(threadId, "", undefined);
      const blobBytes = (loaded?.blobs ?? []).reduce((sum, blob) => sum + blob.value.byteLength, 0);
      const finalBytes = Buffer.byteLength(JSON.stringify(parent?.messages));
      expect(blobBytes).toBeLessThan(1.5 * finalBytes);
      await expectReads(pair[0], threadId, model.slice(-20), false);
      await pair[0].checkpoint.deleteThread(threadId);
      expect(await pair[0].checkpoint.countThread(threadId)).toBe(0);
      await closePair(pair);
    }, 120_000);

    it("a prune that removes a chain's base keeps what a kept checkpoint needs, and the next put starts a new chain", async () => {
      const pair = await openPair(backend.url, false);
      const threadId = "pruned-base";
      let parent: ModelCheckpoint | undefined;
      for (let i = 1; i <= 40; i++) {
        parent = await putChild(pair[0], threadId, parent, [...(parent?.messages ?? []), `m${i}`], 0, i);
      }
      await pair[0].checkpoint.prune(threadId, { keepLast: 1 });
      await expectReads(pair[0], threadId, [parent as ModelCheckpoint]);
      const next = await putChild(pair[0], threadId, parent, [...(parent?.messages ?? []), "m41"], 0, 41);
      await expectReads(pair[0], threadId, [parent as ModelCheckpoint, next]);
      // This store forgot the thread at prune: it read the parent back, and the child continues its chain.
      const kept = Object.keys(await rawChannels(pair[0], threadId, parent?.id)).filter((n) => n.startsWith(MARK));
      const child = Object.keys(await rawChannels(pair[0], threadId, next.id)).filter((n) => n.startsWith(MARK));
      expect(child.length).toBe(kept.length + 1);
      expect(child.filter((name) => kept.includes(name)).length).toBe(kept.length);
      await pair[0].checkpoint.deleteThread(threadId);
      expect(await pair[0].checkpoint.countThread(threadId)).toBe(0);
      await closePair(pair);
    });

    it("a fork from an old checkpoint shares its chain's base; a prune keeping only the fork keeps those records and nothing else", async () => {
      const pair = await openPair(backend.url, false);
      const threadId = "fork-then-prune";
      const main: ModelCheckpoint[] = [];
      let parent: ModelCheckpoint | undefined;
      for (let i = 1; i <= 40; i++) {
        parent = await putChild(pair[0], threadId, parent, [...(parent?.messages ?? []), { i }], 0, i);
        main.push(parent);
      }
      // From depth 9 (checkpoint 10): this store last wrote 40, so it reads 10 back and continues its chain.
      const base = main[9] as ModelCheckpoint;
      const fork: ModelCheckpoint[] = [];
      let tip: ModelCheckpoint = base;
      for (let i = 1; i <= 5; i++) {
        tip = await putChild(pair[0], threadId, tip, [...tip.messages, { fork: i }], 0, 100 + i);
        fork.push(tip);
      }
      const baseNames = Object.keys(await rawChannels(pair[0], threadId, base.id)).filter((n) => n.startsWith(MARK));
      const forkNames = Object.keys(await rawChannels(pair[0], threadId, fork[0]?.id)).filter((n) =>
        n.startsWith(MARK),
      );
      expect(baseNames.every((name) => forkNames.includes(name))).toBe(true);
      await expectReads(pair[0], threadId, [...main, ...fork]);
      expect(await pair[0].checkpoint.prune(threadId, { keepLast: 5 })).toBe(40);
      await expectReads(pair[0], threadId, fork);
      // What is left: the 5 checkpoints and exactly the records their maps name.
      const named = new Set<string>();
      for (const checkpoint of fork) {
        for (const name of Object.keys(await rawChannels(pair[0], threadId, checkpoint.id))) {
          if (name.startsWith(MARK)) named.add(name);
        }
      }
      // A thread of 5 checkpoints without blobs counts what a backend keeps per checkpoint (rows, index entries).
      let control: string | null = null;
      for (let i = 0; i < 5; i++) {
        control = (await pair[0].checkpoint.put({ threadId: `${threadId}-control`, parentId: control, payload: i })).id;
      }
      const perCheckpoints = await pair[0].checkpoint.countThread(`${threadId}-control`);
      expect(await pair[0].checkpoint.countThread(threadId)).toBe(perCheckpoints + named.size);
      await pair[0].checkpoint.deleteThread(`${threadId}-control`);
      const records = await (pair[0].checkpoint as CheckpointStore).driver.get(threadId, "", undefined);
      expect(records?.blobs.filter((blob) => blob.channel.startsWith(MARK)).length).toBe(
        Object.keys(records?.channels ?? {}).filter((n) => n.startsWith(MARK)).length,
      );
      await pair[0].checkpoint.deleteThread(threadId);
      expect(await pair[0].checkpoint.countThread(threadId)).toBe(0);
      await closePair(pair);
    });

    it("a prune that removes the middle of two branches' shared chain keeps both branches readable", async () => {
      const pair = await openPair(backend.url, false);
      const threadId = "prune-middle";
      const main: ModelCheckpoint[] = [];
      let parent: ModelCheckpoint | undefined;
      for (let i = 1; i <= 20; i++) {
        parent = await putChild(pair[0], threadId, parent, [...(parent?.messages ?? []), `m${i}`], 0, i);
        main.push(parent);
      }
      let tip = main[4] as ModelCheckpoint;
      const fork: ModelCheckpoint[] = [];
      for (let i = 1; i <= 3; i++) {
        tip = await putChild(pair[0], threadId, tip, [...tip.messages, `f${i}`], 0, 50 + i);
        fork.push(tip);
      }
      // The main branch goes on after the fork (this store reads checkpoint 20 back: it last wrote the fork).
      let head = main[19] as ModelCheckpoint;
      for (let i = 21; i <= 22; i++) {
        head = await putChild(pair[0], threadId, head, [...head.messages, `m${i}`], 0, i);
        main.push(head);
      }
      // Newest 5: the fork's 3 and main's 21 and 22; checkpoints 1-20 (the chains' middle) go.
      expect(await pair[0].checkpoint.prune(threadId, { keepLast: 5 })).toBe(20);
      await expectReads(pair[0], threadId, [...fork, ...main.slice(20)]);
      await pair[0].checkpoint.deleteThread(threadId);
      expect(await pair[0].checkpoint.countThread(threadId)).toBe(0);
      await closePair(pair);
    });

    it("an element changed in place after its put is seen: the next put stores a new root, the old checkpoint reads as it was", async () => {
      const pair = await openPair(backend.url, false);
      const threadId = "in-place";
      const messages: { role: string; content: string }[] = [{ role: "user", content: "hi" }];
      const first = await putChild(pair[0], threadId, undefined, messages, 0, 1);
      const firstCopy = structuredClone(messages);
      messages.push({ role: "ai", content: "hello" });
      const second = await putChild(pair[0], threadId, first, messages, 0, 2);
      const secondCopy = structuredClone(messages);
      (messages[0] as { content: string }).content = "changed";
      messages.push({ role: "user", content: "third" });
      const third = await putChild(pair[0], threadId, second, messages, 0, 3);
      await expectReads(pair[0], threadId, [
        { ...first, messages: firstCopy },
        { ...second, messages: secondCopy },
        { ...third, messages: structuredClone(messages) },
      ]);
      const names = Object.keys(await rawChannels(pair[0], threadId, third.id)).filter((n) => n.startsWith(MARK));
      expect(names.length).toBe(2); // a new messages root, and count's root
      await pair[0].checkpoint.deleteThread(threadId);
      await closePair(pair);
    });

    if (shared) {
      it("a second process continuing a thread reads the parent's chains back and continues them", async () => {
        const [first, second] = await openPair(backend.url, true);
        const threadId = "two-writers";
        let parent: ModelCheckpoint | undefined;
        for (let i = 1; i <= 5; i++)
          parent = await putChild(first, threadId, parent, [...(parent?.messages ?? []), i], 0, i);
        const before = Object.keys(await rawChannels(first, threadId)).filter((n) => n.startsWith(MARK));
        expect(before.length).toBe(1 + 4 + 1);
        const child = await putChild(second, threadId, parent, [...(parent?.messages ?? []), 6], 0, 6);
        const after = Object.keys(await rawChannels(first, threadId, child.id)).filter((n) => n.startsWith(MARK));
        // depth 5's record goes (6 is based on 5 … on 0: all kept), one record added.
        expect(after.length).toBe(before.length + 1);
        expect(before.every((name) => after.includes(name))).toBe(true);
        await expectReads(first, threadId, [parent as ModelCheckpoint, child], false);
        await first.checkpoint.deleteThread(threadId);
        await closePair([first, second]);
      });
    }
  });
}

describe("compressed blobs", () => {
  it("a blob over compressAbove is deflated, reads back the same, and a damaged one is ERR_CORRUPT_DATA", async () => {
    const sqlite = backends.find((backend) => backend.name === "sqlite");
    if (!sqlite || sqlite.skip) {
      console.log(`compressed blobs skipped: sqlite is not available (${sqlite?.skip ?? "not listed"})`);
      return;
    }
    const [storage] = await openPair(sqlite.url, false);
    const value = { text: "the same sentence again. ".repeat(200) };
    const put = (threadId: string, compressAbove?: number) =>
      storage.checkpoint.put(
        { threadId, payload: 1, channels: { doc: "1" }, blobs: [{ channel: "doc", version: "1", value }] },
        compressAbove === undefined ? {} : { compressAbove },
      );
    await put("plain");
    await put("deflated", 1024);
    const blobBytes = async (threadId: string) =>
      (await (storage.checkpoint as CheckpointStore).driver.get(threadId, "", undefined))?.blobs[0]?.value.byteLength ??
      0;
    expect(await blobBytes("deflated")).toBeLessThan((await blobBytes("plain")) / 10);
    expect((await storage.checkpoint.get("deflated"))?.channelValues).toEqual({ doc: value });
    await expect(put("bad", 0)).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" });
    const db = new Database(sqlite.url.slice("sqlite://".length));
    db.prepare(
      "UPDATE checkpoint_blobs SET value = substr(value, 1, length(value) - 3) WHERE thread_id = 'deflated'",
    ).run();
    db.close();
    await expect(storage.checkpoint.get("deflated")).rejects.toMatchObject({ code: "ERR_CORRUPT_DATA" });
    for (const threadId of ["plain", "deflated"]) await storage.checkpoint.deleteThread(threadId);
    await storage.close();
  });
});

describe("damaged delta records", () => {
  const sqlite = backends.find((backend) => backend.name === "sqlite");
  if (!sqlite || sqlite.skip) {
    console.log(`damaged delta records skipped: sqlite is not available (${sqlite?.skip ?? "not listed"})`);
    return;
  }
  const path = sqlite.url.slice("sqlite://".length);

  async function chainOf(threadId: string): Promise<[Storage, ModelCheckpoint]> {
    const [storage] = await openPair(sqlite?.url as string, false);
    let parent: ModelCheckpoint | undefined;
    for (let i = 1; i <= 4; i++)
      parent = await putChild(storage, threadId, parent, [...(parent?.messages ?? []), `m${i}`], 0, i);
    return [storage, parent as ModelCheckpoint];
  }

  const damages: [string, string][] = [
    [
      "a flipped byte",
      "UPDATE checkpoint_blobs SET value = CAST(substr(value, 1, length(value) - 1) || X'00' AS BLOB)",
    ],
    ["a truncated record", "UPDATE checkpoint_blobs SET value = substr(value, 1, length(value) - 2)"],
    ["a missing record", "DELETE FROM checkpoint_blobs"],
  ];
  for (const [what, sql] of damages) {
    it(`${what} in a chain reads as ERR_CORRUPT_DATA, never as other data`, async () => {
      const threadId = `damaged-${what}`;
      const [storage, head] = await chainOf(threadId);
      const db = new Database(path);
      // The record at depth 2 of messages (a record's depth is the u32 at byte 5).
      const names = Object.keys(await rawChannels(storage, threadId)).filter((n) => n.startsWith(MARK));
      const depthTwo = names.find((name) => {
        const row = db
          .prepare("SELECT value FROM checkpoint_blobs WHERE thread_id = ? AND channel = ?")
          .get(threadId, name) as { value: Buffer };
        return row.value.readUInt32BE(5) === 2 && row.value.includes("messages");
      });
      const changed = db
        .prepare(`${sql} WHERE thread_id = ? AND channel = ? AND version = ?`)
        .run(threadId, depthTwo, "0");
      db.close();
      expect(changed.changes).toBe(1);
      await expect(storage.checkpoint.get(threadId, { id: head.id })).rejects.toMatchObject({
        code: "ERR_CORRUPT_DATA",
      });
      await storage.checkpoint.deleteThread(threadId);
      await storage.close();
    });
  }
});
