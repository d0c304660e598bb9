import { LRUCache } from "lru-cache";
import type { ChannelVersion, CheckpointDriver, StoredBlob } from "../../drivers/checkpoint-driver.js";
import { CorruptDataError } from "../../errors.js";
import { assertValueFits } from "../../value-size.js";
import { inflateBlob } from "./blob-compression.js";
import { type ChannelGroup, groupChannels } from "./delta-reader.js";
import { decodeChainRecord, encodeChainRecord } from "./delta-record.js";
import { isRecordName, newRecordName, RECORD_VERSION, storedName } from "./link-names.js";
import { sameValue, UNKNOWN } from "./same-value.js";
import { baseDepth } from "./skip-delta.js";

/** One record of a chain: its depth, its name in channel maps, the elements [start, end) it holds, its size. */
interface ChainMember {
  depth: number;
  name: string;
  start: number;
  end: number;
  size: number;
}

/** A channel's chain as a checkpoint reads it: its records root first, and the elements they hold. */
interface Chain {
  version: ChannelVersion;
  members: ChainMember[];
  /** The elements [0, end of the last member) as decoded from what was written: what an extension is checked against. */
  copies: unknown[];
}

/** The last checkpoint this process put in one (thread, ns): its stored channel map and its chains. */
interface LastPut {
  checkpointId: string;
  stored: Record<string, ChannelVersion>;
  chains: Map<string, Chain>;
}

/** A blob as put gives it, value not yet encoded. */
export interface BlobInput {
  channel: string;
  version: ChannelVersion;
  value: unknown;
}

/** What to hand the driver: the stored channel map (record names included) and the blobs to write. */
export interface EncodedChannels {
  channels: Record<string, ChannelVersion>;
  blobs: StoredBlob[];
}

/** A record header holds the channel's UTF-8 length in 16 bits; a longer name is stored whole. */
const MAX_CHANNEL_BYTES = 0xffff;

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;

/**
 * True when `values` keeps every element the chain holds and may append. Each element is compared
 * with the copy decoded from what was written (sameValue: a walk, no encode); an element sameValue
 * cannot judge (a Date, a Map, …) is compared by the codec's bytes of both.
 */
function extendsChain(chain: Chain, values: readonly unknown[], encode: (value: unknown) => Uint8Array): boolean {
  const { copies } = chain;
  if (values.length < copies.length) return false;
  for (let i = 0; i < copies.length; i++) {
    const same = sameValue(values[i], copies[i]);
    if (same === false) return false;
    if (same === UNKNOWN && !sameBytes(encode(values[i]), encode(copies[i]))) return false;
  }
  return true;
}

/**
 * Writes channel arrays that extend what this process last wrote for the channel as chain records
 * (skip-delta.ts; delta-record.ts's second layout), and names in each checkpoint's channel map every
 * record its channels read, about 20 bytes each, so that a load reads a chain in its one get and
 * prune keeps what a kept checkpoint needs. What it last wrote per thread is kept in a bounded LRU;
 * without it, the parent is read back once (its records decoded) before its chains continue.
 */
export class ChannelDeltas {
  readonly #threads: LRUCache<string, Map<string, LastPut>>;

  readonly #maxValueBytes: number;

  constructor(maxBytes: number, maxValueBytes: number) {
    this.#maxValueBytes = maxValueBytes;
    this.#threads = new LRUCache({
      maxSize: maxBytes,
      sizeCalculation: (puts) => {
        let size = 64;
        // The records' bytes, and about as much again for the decoded copies.
        for (const put of puts.values()) {
          for (const chain of put.chains.values()) for (const member of chain.members) size += 64 + 2 * member.size;
        }
        return size;
      },
    });
  }

  /** Drops what this process knows of the thread (after deleteThread, prune or a failed put). */
  forget(threadId: string): void {
    this.#threads.delete(threadId);
  }

  /**
   * The stored form of one put's channels and blobs. With `write`, array values become chain
   * records (a delta when they extend the parent's chain); either way unchanged channels keep theirs.
   */
  async encode(
    driver: CheckpointDriver,
    put: { threadId: string; ns: string; id: string; parentId: string | null },
    channels: Record<string, ChannelVersion>,
    blobs: readonly BlobInput[],
    write: boolean,
    encodeValue: (value: unknown, what: string) => Uint8Array,
    decodeValue: (bytes: Uint8Array) => unknown,
  ): Promise<EncodedChannels> {
    const last = put.parentId === null ? undefined : await this.#parent(driver, put, put.parentId, decodeValue);
    const parentGroups = last ? groupChannels(last.stored) : undefined;
    const blobOf = new Map<string, BlobInput>();
    for (const blob of blobs) if (!blobOf.has(blob.channel)) blobOf.set(blob.channel, blob);
    const stored: Record<string, ChannelVersion> = {};
    const written: StoredBlob[] = [];
    const chains = new Map<string, Chain>();
    const used = new Set<BlobInput>();
    for (const channel in channels) {
      const version = channels[channel] as ChannelVersion;
      const group = parentGroups?.get(channel);
      const parentChain = last?.chains.get(channel);
      const blob = blobOf.get(channel);
      if (blob === undefined || blob.version !== version || group?.version === version) {
        // Unchanged (or a version already stored, whose first write wins): the parent's records.
        if (blob?.version === version) used.add(blob);
        if (group === undefined || group.version !== version) stored[storedName(channel)] = version;
        else if (parentChain !== undefined) {
          stored[storedName(channel)] = version;
          for (const member of parentChain.members) stored[member.name] = RECORD_VERSION;
          chains.set(channel, parentChain);
        } else carry(group, stored);
        continue;
      }
      used.add(blob);
      stored[storedName(channel)] = version;
      const chain =
        write && Array.isArray(blob.value) && Buffer.byteLength(channel) <= MAX_CHANNEL_BYTES
          ? this.#chain(channel, blob, parentChain, encodeValue, decodeValue)
          : undefined;
      if (chain !== undefined) {
        written.push(chain.record);
        for (const member of chain.chain.members) stored[member.name] = RECORD_VERSION;
        chains.set(channel, chain.chain);
        continue;
      }
      written.push({ channel: storedName(channel), version, value: encodeValue(blob.value, `channel ${channel}`) });
    }
    for (const blob of blobs) {
      if (used.has(blob)) continue;
      written.push({
        channel: storedName(blob.channel),
        version: blob.version,
        value: encodeValue(blob.value, `channel ${blob.channel}`),
      });
    }
    // Known before the driver's put resolves, so a put that follows at once (its child) continues the chain.
    let puts = this.#threads.get(put.threadId);
    if (puts === undefined) puts = new Map();
    puts.set(put.ns, { checkpointId: put.id, stored, chains });
    this.#threads.set(put.threadId, puts);
    return { channels: stored, blobs: written };
  }

  /**
   * The parent's stored map and chains: what this process wrote last, else the parent read back
   * (its row; and, when it names chain records, the checkpoint with them, decoded once).
   */
  async #parent(
    driver: CheckpointDriver,
    put: { threadId: string; ns: string },
    parentId: string,
    decodeValue: (bytes: Uint8Array) => unknown,
  ): Promise<LastPut | undefined> {
    const last = this.#threads.get(put.threadId)?.get(put.ns);
    if (last?.checkpointId === parentId) return last;
    // The smallest id after parentId is parentId + NUL: this page is the parent when it exists.
    const [row] = await driver.listPage({ threadId: put.threadId, ns: put.ns, before: `${parentId}\0`, limit: 1 });
    if (row?.id !== parentId) return undefined;
    const chains = new Map<string, Chain>();
    let named = false;
    for (const name in row.channels) if (isRecordName(name, row.channels[name])) named = true;
    if (!named) return { checkpointId: parentId, stored: row.channels, chains };
    const loaded = await driver.get(put.threadId, put.ns, parentId);
    if (loaded === undefined) return undefined;
    const bytesOf = new Map<string, Uint8Array>();
    for (const blob of loaded.blobs)
      if (loaded.channels[blob.channel] === blob.version) bytesOf.set(blob.channel, blob.value);
    const records = new Map<string, { name: string; record: ReturnType<typeof decodeChainRecord> }[]>();
    for (const name in loaded.channels) {
      if (!isRecordName(name, loaded.channels[name])) continue;
      const bytes = bytesOf.get(name);
      const what = `${JSON.stringify(name)} of checkpoint ${JSON.stringify(parentId)}`;
      if (bytes === undefined) throw new CorruptDataError(`the chain record ${what} is missing`);
      const record = decodeChainRecord(inflateBlob(bytes), what);
      const list = records.get(record.channel) ?? [];
      list.push({ name, record });
      records.set(record.channel, list);
    }
    for (const [channel, list] of records) {
      list.sort((a, b) => a.record.depth - b.record.depth);
      const copies: unknown[] = [];
      const members: ChainMember[] = [];
      for (const { name, record } of list) {
        const elements = decodeValue(record.elements);
        if (!Array.isArray(elements) || elements.length !== record.count || record.start !== copies.length) {
          throw new CorruptDataError(
            `the delta chain of channel ${JSON.stringify(channel)} of checkpoint ${JSON.stringify(parentId)} is broken`,
          );
        }
        for (const element of elements) copies.push(element);
        members.push({
          depth: record.depth,
          name,
          start: record.start,
          end: copies.length,
          size: record.elements.byteLength,
        });
      }
      const version = loaded.channels[storedName(channel)];
      if (version !== undefined) chains.set(channel, { version, members, copies });
    }
    return { checkpointId: parentId, stored: loaded.channels, chains };
  }

  /** The next chain of an array channel: a delta record when it extends `previous`, else a new root. */
  #chain(
    channel: string,
    blob: BlobInput,
    previous: Chain | undefined,
    encodeValue: (value: unknown, what: string) => Uint8Array,
    decodeValue: (bytes: Uint8Array) => unknown,
  ): { chain: Chain; record: StoredBlob } {
    const values = blob.value as unknown[];
    const encode = (value: unknown) => encodeValue(value, `channel ${channel}`);
    const record = (depth: number, start: number, elements: Uint8Array) => {
      const value = encodeChainRecord(channel, depth, start, values.length - start, elements);
      assertValueFits(value.byteLength, this.#maxValueBytes, `the chain record of channel ${channel}`);
      return { channel: newRecordName(), version: RECORD_VERSION, value };
    };
    const root = () => {
      const bytes = encode(values);
      const stored = record(0, 0, bytes);
      const member = { depth: 0, name: stored.channel, start: 0, end: values.length, size: bytes.byteLength };
      return {
        chain: { version: blob.version, members: [member], copies: decodeValue(bytes) as unknown[] },
        record: stored,
      };
    };
    if (previous === undefined || !extendsChain(previous, values, encode)) return root();
    const top = previous.members[previous.members.length - 1] as ChainMember;
    const depth = top.depth + 1;
    const base = baseDepth(depth);
    const members = previous.members.filter((member) => member.depth <= base);
    const below = members[members.length - 1];
    if (below === undefined || below.depth !== base) return root();
    const bytes = encode(values.slice(below.end));
    const stored = record(depth, below.end, bytes);
    members.push({ depth, name: stored.channel, start: below.end, end: values.length, size: bytes.byteLength });
    const copies = previous.copies.slice();
    if (values.length > top.end) {
      const decoded = decodeValue(bytes) as unknown[];
      for (let i = top.end - below.end; i < decoded.length; i++) copies.push(decoded[i]);
    }
    return { chain: { version: blob.version, members, copies }, record: stored };
  }
}

/** Copies an unchanged channel's stored entries of the first layout (root and links). */
function carry(group: ChannelGroup, stored: Record<string, ChannelVersion>): void {
  for (const [name, version] of group.entries) stored[name] = version;
}
