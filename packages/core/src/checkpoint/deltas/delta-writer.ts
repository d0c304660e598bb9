import { LRUCache } from "lru-cache";
import type { ChannelVersion, CheckpointDriver, StoredBlob } from "../../drivers/checkpoint-driver.js";
import { assertValueFits } from "../../value-size.js";
import { type ChannelGroup, groupChannels } from "./delta-reader.js";
import { encodeDeltaRecord } from "./delta-record.js";
import { linkName, storedName } from "./link-names.js";
import { baseDepth } from "./skip-delta.js";

/** One record of a chain as this process wrote it: depth, version, its elements [start, end) and their codec bytes. */
interface ChainMember {
  depth: number;
  version: ChannelVersion;
  start: number;
  end: number;
  /** The codec's bytes of the elements [start, end) as one array (the root's: its whole blob). */
  bytes: Uint8Array;
}

/** What this process last wrote for a channel: the records its load reads. */
interface Chain {
  version: ChannelVersion;
  members: ChainMember[];
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

/** What to hand the driver: the stored channel map (links included) and the blobs to write. */
export interface EncodedChannels {
  channels: Record<string, ChannelVersion>;
  blobs: StoredBlob[];
}

const MAX_NAME_BYTES = 1024;

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;

/**
 * True when `values` keeps every element the chain holds (byte for byte) and may append: each record's
 * range is encoded once and compared, so the check costs about one encode of the value (a few calls).
 */
function extendsChain(chain: Chain, values: readonly unknown[], encode: (value: unknown) => Uint8Array): boolean {
  const last = chain.members[chain.members.length - 1] as ChainMember;
  if (values.length < last.end) return false;
  for (const member of chain.members) {
    if (!sameBytes(member.bytes, encode(values.slice(member.start, member.end)))) return false;
  }
  return true;
}

/**
 * Writes channel arrays that extend what this process last wrote for the channel as delta records
 * (skip-delta.ts), and carries the chain links of unchanged channels into each new checkpoint, so
 * that a load reads every record of a chain in its one get and prune keeps what a kept checkpoint
 * needs. What it last wrote per thread is kept in a bounded LRU; without it, arrays are snapshots.
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
        for (const put of puts.values()) {
          for (const chain of put.chains.values()) {
            for (const member of chain.members) size += 64 + member.bytes.byteLength;
          }
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
   * The stored form of one put's channels and blobs. With `write`, array values extending what this
   * process last wrote become delta records; either way unchanged channels keep their chains.
   */
  async encode(
    driver: CheckpointDriver,
    put: { threadId: string; ns: string; id: string; parentId: string | null },
    channels: Record<string, ChannelVersion>,
    blobs: readonly BlobInput[],
    write: boolean,
    encodeValue: (value: unknown, what: string) => Uint8Array,
  ): Promise<EncodedChannels> {
    const last = put.parentId === null ? undefined : await this.#parent(driver, put, put.parentId);
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
      const blob = blobOf.get(channel);
      if (blob === undefined || blob.version !== version || group?.version === version) {
        // Unchanged (or a version already stored, whose first write wins): the parent's records.
        if (blob?.version === version) used.add(blob);
        if (group !== undefined && group.version === version)
          carry(group, stored, last?.chains.get(channel), chains, channel);
        else stored[storedName(channel)] = version;
        continue;
      }
      used.add(blob);
      const previous = last?.chains.get(channel);
      const chain = write && Array.isArray(blob.value) ? this.#delta(channel, blob, previous, encodeValue) : undefined;
      if (chain?.record !== undefined) {
        written.push(chain.record);
        for (const member of chain.chain.members) {
          stored[member.depth === 0 ? storedName(channel) : linkName(channel, member.depth)] = member.version;
        }
        chains.set(channel, chain.chain);
        continue;
      }
      stored[storedName(channel)] = version;
      const value = chain?.rootBytes ?? encodeValue(blob.value, `channel ${channel}`);
      written.push({ channel: storedName(channel), version, value });
      if (chain !== undefined) chains.set(channel, chain.chain);
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

  /** The parent's stored map: what this process wrote last, else one read of the parent's row. */
  async #parent(
    driver: CheckpointDriver,
    put: { threadId: string; ns: string },
    parentId: string,
  ): Promise<LastPut | undefined> {
    const last = this.#threads.get(put.threadId)?.get(put.ns);
    if (last?.checkpointId === parentId) return last;
    // The smallest id after parentId is parentId + NUL: this page is the parent when it exists.
    const [row] = await driver.listPage({ threadId: put.threadId, ns: put.ns, before: `${parentId}\0`, limit: 1 });
    return row?.id === parentId ? { checkpointId: parentId, stored: row.channels, chains: new Map() } : undefined;
  }

  /** The next chain of an array channel: a delta record when it extends `previous`, else a new root. */
  #delta(
    channel: string,
    blob: BlobInput,
    previous: Chain | undefined,
    encodeValue: (value: unknown, what: string) => Uint8Array,
  ): { chain: Chain; record?: StoredBlob; rootBytes?: Uint8Array } {
    const values = blob.value as unknown[];
    const encode = (value: unknown) => encodeValue(value, `channel ${channel}`);
    const root = () => {
      const rootBytes = encode(values);
      const member = { depth: 0, version: blob.version, start: 0, end: values.length, bytes: rootBytes };
      return { chain: { version: blob.version, members: [member] }, rootBytes };
    };
    if (previous === undefined || !extendsChain(previous, values, encode)) return root();
    const depth = (previous.members[previous.members.length - 1] as ChainMember).depth + 1;
    const name = linkName(channel, depth);
    if (Buffer.byteLength(name) > MAX_NAME_BYTES) return root();
    const base = baseDepth(depth);
    const members = previous.members.filter((member) => member.depth <= base);
    const below = members[members.length - 1];
    if (below === undefined || below.depth !== base) return root();
    const bytes = encode(values.slice(below.end));
    const value = encodeDeltaRecord(depth, below.end, values.length - below.end, bytes);
    assertValueFits(value.byteLength, this.#maxValueBytes, `the delta record of channel ${channel}`);
    members.push({ depth, version: blob.version, start: below.end, end: values.length, bytes });
    return {
      chain: { version: blob.version, members },
      record: { channel: name, version: blob.version, value },
    };
  }
}

/** Copies an unchanged channel's stored entries (root and links) and this process's chain of it. */
function carry(
  group: ChannelGroup,
  stored: Record<string, ChannelVersion>,
  chain: Chain | undefined,
  chains: Map<string, Chain>,
  channel: string,
): void {
  for (const [name, version] of group.entries) stored[name] = version;
  if (chain !== undefined && chain.version === group.version) chains.set(channel, chain);
}
