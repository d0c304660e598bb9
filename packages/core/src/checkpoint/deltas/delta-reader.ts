import type { Codec } from "../../codecs/codec.js";
import type { ChannelVersion, LoadedCheckpoint } from "../../drivers/checkpoint-driver.js";
import { CorruptDataError } from "../../errors.js";
import { inflateBlob } from "./blob-compression.js";
import { type ChainRecord, decodeChainRecord, decodeDeltaRecord } from "./delta-record.js";
import { hasMarkedNames, isRecordName, parseStoredName, storedName } from "./link-names.js";

/** One user channel of a stored channel map: its root (or only) entry and its links by depth. */
export interface ChannelGroup {
  /** The version the checkpoint reads: its deepest link's, or its root's when it has none. */
  version: ChannelVersion;
  /** [stored name, version] of the root and each link, root first, depth ascending. */
  entries: [string, ChannelVersion, number][];
}

/** The stored map's entries grouped by user channel (records of the second layout left out: their channel is in them). */
export function groupChannels(stored: Record<string, ChannelVersion>): Map<string, ChannelGroup> {
  const groups = new Map<string, ChannelGroup>();
  for (const name in stored) {
    if (isRecordName(name, stored[name])) continue;
    const { channel, depth } = parseStoredName(name);
    const version = stored[name] as ChannelVersion;
    let group = groups.get(channel);
    if (group === undefined) {
      group = { version, entries: [] };
      groups.set(channel, group);
    }
    group.entries.push([name, version, depth]);
  }
  for (const group of groups.values()) {
    if (group.entries.length > 1) group.entries.sort((a, b) => a[2] - b[2]);
    group.version = (group.entries[group.entries.length - 1] as [string, ChannelVersion, number])[1];
  }
  return groups;
}

/** channel → version as the user gave it (links and escapes taken out). */
export function userChannels(stored: Record<string, ChannelVersion>): Record<string, ChannelVersion> {
  if (!hasMarkedNames(stored)) return stored;
  const channels: Record<string, ChannelVersion> = {};
  for (const [channel, group] of groupChannels(stored)) channels[channel] = group.version;
  return channels;
}

/** channel → value of a loaded checkpoint: plain blobs decoded, chains rebuilt from root and deltas. */
export function channelValues(loaded: LoadedCheckpoint, codec: Codec): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const stored = loaded.channels;
  if (!hasMarkedNames(stored)) {
    for (const blob of loaded.blobs) {
      if (stored[blob.channel] === blob.version) values[blob.channel] = codec.decode(inflateBlob(blob.value));
    }
    return values;
  }
  const byName = new Map<string, Uint8Array>();
  for (const blob of loaded.blobs) {
    if (stored[blob.channel] === blob.version) byName.set(blob.channel, inflateBlob(blob.value));
  }
  const chains = chainRecords(stored, byName, loaded.id);
  for (const [channel, records] of chains) {
    if (!Object.hasOwn(stored, storedName(channel))) {
      throw new CorruptDataError(
        `checkpoint ${JSON.stringify(loaded.id)} names a chain record of channel ${JSON.stringify(channel)}, which it does not have`,
      );
    }
    values[channel] = rebuildChain(channel, records, codec, loaded.id);
  }
  for (const [channel, group] of groupChannels(stored)) {
    if (chains.has(channel)) continue;
    const root = group.entries[0] as [string, ChannelVersion, number];
    const rootBytes = byName.get(root[0]);
    if (group.entries.length === 1 && root[2] === 0) {
      if (rootBytes !== undefined) values[channel] = codec.decode(rootBytes);
      continue;
    }
    values[channel] = rebuild(channel, group, byName, codec, loaded.id);
  }
  return values;
}

function rebuild(
  channel: string,
  group: ChannelGroup,
  byName: Map<string, Uint8Array>,
  codec: Codec,
  checkpointId: string,
): unknown[] {
  const what = `channel ${JSON.stringify(channel)} of checkpoint ${JSON.stringify(checkpointId)}`;
  const [rootName, , rootDepth] = group.entries[0] as [string, ChannelVersion, number];
  const rootBytes = byName.get(rootName);
  if (rootDepth !== 0 || rootBytes === undefined) {
    throw new CorruptDataError(`the root snapshot of ${what} is missing: its delta chain is broken`);
  }
  const value = codec.decode(rootBytes);
  if (!Array.isArray(value)) throw new CorruptDataError(`the root snapshot of ${what} is not an array`);
  for (let i = 1; i < group.entries.length; i++) {
    const [name, , depth] = group.entries[i] as [string, ChannelVersion, number];
    const bytes = byName.get(name);
    if (bytes === undefined) throw new CorruptDataError(`the delta at depth ${depth} of ${what} is missing`);
    const record = decodeDeltaRecord(bytes, what);
    if (record.depth !== depth || record.start !== value.length) {
      throw new CorruptDataError(`the delta at depth ${depth} of ${what} does not continue its chain`);
    }
    const elements = codec.decode(record.elements);
    if (!Array.isArray(elements) || elements.length !== record.count) {
      throw new CorruptDataError(`the delta at depth ${depth} of ${what} does not hold its ${record.count} elements`);
    }
    for (const element of elements) value.push(element);
  }
  return value;
}

/** The records of the second layout a checkpoint names, by channel; a named record that is missing is ERR_CORRUPT_DATA. */
function chainRecords(
  stored: Record<string, ChannelVersion>,
  byName: Map<string, Uint8Array>,
  checkpointId: string,
): Map<string, ChainRecord[]> {
  const chains = new Map<string, ChainRecord[]>();
  for (const name in stored) {
    if (!isRecordName(name, stored[name])) continue;
    const what = `${JSON.stringify(name)} of checkpoint ${JSON.stringify(checkpointId)}`;
    const bytes = byName.get(name);
    if (bytes === undefined) throw new CorruptDataError(`the chain record ${what} is missing`);
    const record = decodeChainRecord(bytes, what);
    const records = chains.get(record.channel);
    if (records === undefined) chains.set(record.channel, [record]);
    else records.push(record);
  }
  return chains;
}

/** A channel's array from its records: depth 0 first, each record continuing where the one below ends. */
function rebuildChain(channel: string, records: ChainRecord[], codec: Codec, checkpointId: string): unknown[] {
  const what = `channel ${JSON.stringify(channel)} of checkpoint ${JSON.stringify(checkpointId)}`;
  if (records.length > 1) records.sort((a, b) => a.depth - b.depth);
  const value: unknown[] = [];
  let depth = -1;
  for (const record of records) {
    if (record.depth === depth || (depth === -1 && record.depth !== 0)) {
      throw new CorruptDataError(
        `the delta chain of ${what} is broken: no root, or two records at depth ${record.depth}`,
      );
    }
    if (record.start !== value.length) {
      throw new CorruptDataError(`the record at depth ${record.depth} of ${what} does not continue its chain`);
    }
    depth = record.depth;
    const elements = codec.decode(record.elements);
    if (!Array.isArray(elements) || elements.length !== record.count) {
      throw new CorruptDataError(
        `the record at depth ${record.depth} of ${what} does not hold its ${record.count} elements`,
      );
    }
    for (const element of elements) value.push(element);
  }
  return value;
}
