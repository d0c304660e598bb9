import {
  type ChannelVersion,
  type CheckpointDriver,
  type CheckpointPageQuery,
  CorruptDataError,
  type JsonObject,
  type LoadedCheckpoint,
  type StoredBlob,
  type StoredCheckpoint,
  type StoredWrite,
  wallNow,
} from "@stowage/core";
import type { RedisClient } from "./client.js";
import { RedisDriverBase } from "./driver-base.js";
import {
  checkpointCount,
  checkpointDeleteThread,
  checkpointForgetExpired,
  checkpointGet,
  checkpointListThread,
  checkpointPrune,
  checkpointPut,
  checkpointPutWrites,
} from "./scripts/checkpoint-scripts.js";
import { runScript, runScriptBuffer } from "./scripts/lua-script.js";

/** What a checkpoint record keeps besides its payload. */
interface Header {
  parentId: string | null;
  metadata: JsonObject;
  channels: Record<string, ChannelVersion>;
  createdAt: number;
  expiresAt: number | null;
}

const GLOBAL_PAGE = 64;
const NUL = "\0";

const exclusive = (member: Buffer) => Buffer.concat([Buffer.from("("), member]);
const bytes = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);
const blobField = (channel: string, version: ChannelVersion) => JSON.stringify([channel, version]);

function parseJson<T>(text: Buffer | string, what: string): T {
  try {
    return JSON.parse(text.toString()) as T;
  } catch (error) {
    throw new CorruptDataError(`${what} is not valid JSON`, { cause: error });
  }
}

/**
 * A global index member: the id first so the index sorts by time, then where the checkpoint lives.
 * A NUL of the id is written NUL 0xFF (never in UTF-8), so the first other NUL ends the id, in order.
 */
function globalMember(id: string, threadId: string, ns: string): Buffer {
  return Buffer.concat([escapedId(id), Buffer.from(`${NUL}${JSON.stringify([threadId, ns])}`)]);
}

function escapedId(id: string): Buffer {
  const text = Buffer.from(id);
  if (!id.includes(NUL)) return text;
  const parts: Buffer[] = [];
  let from = 0;
  for (let cut = text.indexOf(0); cut >= 0; cut = text.indexOf(0, cut + 1)) {
    parts.push(text.subarray(from, cut + 1), ESCAPED_NUL_TAIL);
    from = cut + 1;
  }
  parts.push(text.subarray(from));
  return Buffer.concat(parts);
}

const ESCAPED_NUL_TAIL = Buffer.from([0xff]);

function parseGlobalMember(member: Buffer): { id: string; threadId: string; ns: string } {
  let cut = member.indexOf(0);
  while (member[cut + 1] === 0xff) cut = member.indexOf(0, cut + 2);
  const id = Buffer.from(member.subarray(0, cut).filter((byte, i, all) => !(byte === 0xff && all[i - 1] === 0)));
  const [threadId, ns] = parseJson<[string, string]>(member.subarray(cut + 1), "checkpoint index entry");
  return { id: id.toString(), threadId, ns };
}

function parseWrite(stored: Buffer): { seq: number; write: StoredWrite } {
  const first = stored.indexOf(10);
  const second = stored.indexOf(10, first + 1);
  if (first < 0 || second < 0) throw new CorruptDataError("a pending write record is malformed");
  const [taskId, index, channel, taskPath] = parseJson<[string, number, string, string]>(
    stored.subarray(first + 1, second),
    "pending write header",
  );
  return {
    seq: Number(stored.subarray(0, first).toString()),
    write: { taskId, index, channel, taskPath, value: stored.subarray(second + 1) },
  };
}

/**
 * One namespace of checkpoints on Redis. Each thread's records share a hash tag, so put, get,
 * list within a thread, putWrites, prune and deleteThread are each one atomic Lua script; a
 * global sorted set (another slot) indexes checkpoints across threads by id.
 */
export class RedisCheckpointDriver extends RedisDriverBase implements CheckpointDriver {
  #toCheckpoint(threadId: string, ns: string, id: string, header: Buffer, payload: Buffer): StoredCheckpoint {
    const parsed = parseJson<Header>(header, `checkpoint ${id} header`);
    return {
      threadId,
      ns,
      id,
      parentId: parsed.parentId,
      metadata: parsed.metadata,
      payload,
      channels: parsed.channels,
      createdAt: parsed.createdAt,
      expiresAt: parsed.expiresAt,
    };
  }

  put(checkpoint: StoredCheckpoint, blobs: readonly StoredBlob[]): Promise<void> {
    return this.run(async (client) => {
      const { threadId, ns, id } = checkpoint;
      const px = checkpoint.expiresAt === null ? "" : String(Math.max(1, checkpoint.expiresAt - wallNow()));
      const header: Header = {
        parentId: checkpoint.parentId,
        metadata: checkpoint.metadata,
        channels: checkpoint.channels,
        createdAt: checkpoint.createdAt,
        expiresAt: checkpoint.expiresAt,
      };
      const blobFields = Object.entries(checkpoint.channels).map(([channel, version]) => blobField(channel, version));
      const blobArgs = blobs.flatMap((blob) => [blobField(blob.channel, blob.version), bytes(blob.value)]);
      // The global index first: a crash in between leaves an entry that list skips, never a checkpoint list cannot find.
      await Promise.all([
        client.zadd(this.layout.checkpointIndexKey(), 0, globalMember(id, threadId, ns)),
        client.sadd(this.layout.threadsKey(), threadId),
      ]);
      await runScript(
        client,
        checkpointPut,
        [this.layout.threadBase(threadId)],
        [id, ns, px, JSON.stringify(header), bytes(checkpoint.payload), JSON.stringify(blobFields), ...blobArgs],
      );
    });
  }

  get(threadId: string, ns: string, id: string | undefined): Promise<LoadedCheckpoint | undefined> {
    return this.run(async (client) => {
      const reply = (await runScriptBuffer(
        client,
        checkpointGet,
        [this.layout.threadBase(threadId)],
        [ns, id ?? ""],
      )) as [Buffer, Buffer, Buffer, Buffer[], Buffer[]] | null;
      if (!reply) return undefined;
      const [foundId, header, payload, blobPairs, writeRecords] = reply;
      const checkpoint = this.#toCheckpoint(threadId, ns, foundId.toString(), header, payload);
      const blobs: StoredBlob[] = [];
      for (let i = 0; i < blobPairs.length; i += 2) {
        const [channel, version] = parseJson<[string, ChannelVersion]>(blobPairs[i] as Buffer, "blob field");
        blobs.push({ channel, version, value: blobPairs[i + 1] as Buffer });
      }
      const writes = writeRecords
        .map(parseWrite)
        .sort((a, b) => a.seq - b.seq)
        .map(({ write }) => write);
      return { ...checkpoint, blobs, writes };
    });
  }

  listPage(query: CheckpointPageQuery): Promise<StoredCheckpoint[]> {
    return this.run((client) =>
      query.threadId === undefined ? this.#listAll(client, query) : this.#listThread(client, query),
    );
  }

  async #listThread(client: RedisClient, query: CheckpointPageQuery): Promise<StoredCheckpoint[]> {
    const threadId = query.threadId as string;
    const reply = (await runScriptBuffer(
      client,
      checkpointListThread,
      [this.layout.threadBase(threadId)],
      [query.ns ?? "", query.before ?? "", query.limit, query.ns === undefined ? "all" : "ns"],
    )) as Buffer[];
    const page: StoredCheckpoint[] = [];
    for (let i = 0; i < reply.length; i += 4) {
      page.push(
        this.#toCheckpoint(
          threadId,
          (reply[i] as Buffer).toString(),
          (reply[i + 1] as Buffer).toString(),
          reply[i + 2] as Buffer,
          reply[i + 3] as Buffer,
        ),
      );
    }
    return page;
  }

  /** Walks the global index newest first, reading each candidate from its thread; skips (and drops) entries of gone checkpoints. */
  async #listAll(client: RedisClient, query: CheckpointPageQuery): Promise<StoredCheckpoint[]> {
    const index = this.layout.checkpointIndexKey();
    const page: StoredCheckpoint[] = [];
    let max: Buffer | string = query.before !== undefined ? exclusive(escapedId(query.before)) : "+";
    while (page.length < query.limit) {
      const members = await client.zrevrangebylexBuffer(index, max, "-", "LIMIT", 0, GLOBAL_PAGE);
      if (members.length === 0) break;
      max = exclusive(members[members.length - 1] as Buffer);
      const candidates = members.map(parseGlobalMember).filter(({ ns }) => query.ns === undefined || ns === query.ns);
      const records = await Promise.all(
        candidates.map(({ threadId, ns, id }) =>
          client.hmgetBuffer(this.layout.checkpointKey(threadId, ns, id), "h", "d"),
        ),
      );
      const stale: Buffer[] = [];
      candidates.forEach(({ threadId, ns, id }, i) => {
        const [header, payload] = records[i] as (Buffer | null)[];
        if (!header || !payload) {
          stale.push(globalMember(id, threadId, ns));
          return;
        }
        if (page.length < query.limit) page.push(this.#toCheckpoint(threadId, ns, id, header, payload));
      });
      if (stale.length > 0) await client.zrem(index, ...stale);
    }
    return page;
  }

  putWrites(threadId: string, ns: string, checkpointId: string, writes: readonly StoredWrite[]): Promise<void> {
    return this.run(async (client) => {
      if (writes.length === 0) return;
      const args = writes.flatMap((write) => [
        `${write.taskId}${NUL}${write.index}`,
        write.index >= 0 ? "1" : "0",
        Buffer.concat([
          Buffer.from(`${JSON.stringify([write.taskId, write.index, write.channel, write.taskPath])}\n`),
          bytes(write.value),
        ]),
      ]);
      await runScript(client, checkpointPutWrites, [this.layout.threadBase(threadId)], [ns, checkpointId, ...args]);
    });
  }

  deleteThread(threadId: string): Promise<void> {
    return this.run(async (client) => {
      const gone = (await runScript(
        client,
        checkpointDeleteThread,
        [this.layout.threadBase(threadId)],
        [],
      )) as string[];
      await this.#dropFromGlobalIndex(client, threadId, gone);
      await client.srem(this.layout.threadsKey(), threadId);
    });
  }

  /** `gone` is a flat list id, ns, id, ns, … of the thread's removed checkpoints. */
  async #dropFromGlobalIndex(client: RedisClient, threadId: string, gone: readonly string[]): Promise<void> {
    const index = this.layout.checkpointIndexKey();
    for (let i = 0; i < gone.length; i += 1000) {
      const batch: Buffer[] = [];
      for (let j = i; j < Math.min(i + 1000, gone.length); j += 2) {
        batch.push(globalMember(gone[j] as string, threadId, gone[j + 1] as string));
      }
      await client.zrem(index, ...batch);
    }
  }

  prune(threadId: string, keepLast: number, ns: string | undefined): Promise<number> {
    return this.run(async (client) => {
      const [removed, gone, empty] = (await runScript(
        client,
        checkpointPrune,
        [this.layout.threadBase(threadId)],
        [keepLast, ns ?? "", ns === undefined ? "all" : "ns"],
      )) as [number, string[], number];
      await this.#dropFromGlobalIndex(client, threadId, gone);
      if (Number(empty) === 1) await client.srem(this.layout.threadsKey(), threadId);
      return Number(removed);
    });
  }

  countThread(threadId: string): Promise<number> {
    return this.run(async (client) =>
      Number(await runScript(client, checkpointCount, [this.layout.threadBase(threadId)], [])),
    );
  }

  /** Redis expires records itself; gc drops what expired checkpoints left in the indexes, and their writes. */
  gc(): Promise<number> {
    return this.run(async (client) => {
      const index = this.layout.checkpointIndexKey();
      let removed = 0;
      let max: Buffer | string = "+";
      const touchedThreads = new Set<string>();
      for (;;) {
        const members = await client.zrevrangebylexBuffer(index, max, "-", "LIMIT", 0, 500);
        if (members.length === 0) break;
        max = exclusive(members[members.length - 1] as Buffer);
        const results = await Promise.all(
          members.map(async (member) => {
            const { threadId, ns, id } = parseGlobalMember(member);
            const reply = Number(
              await runScript(client, checkpointForgetExpired, [this.layout.threadBase(threadId)], [ns, id]),
            );
            if (reply > 0) touchedThreads.add(threadId);
            return { member, reply };
          }),
        );
        const stale = results.filter(({ reply }) => reply > 0);
        removed += stale.reduce((sum, { reply }) => sum + reply, 0);
        if (stale.length > 0) await client.zrem(index, ...stale.map(({ member }) => member));
      }
      for (const threadId of touchedThreads) {
        if ((await client.zcard(`${this.layout.threadBase(threadId)}ids`)) === 0)
          await client.srem(this.layout.threadsKey(), threadId);
      }
      return removed;
    });
  }

  size(): Promise<{ threads: number; checkpoints: number }> {
    return this.run(async (client) => {
      const [threads, checkpoints] = await Promise.all([
        client.scard(this.layout.threadsKey()),
        client.zcard(this.layout.checkpointIndexKey()),
      ]);
      return { threads, checkpoints };
    });
  }
}
