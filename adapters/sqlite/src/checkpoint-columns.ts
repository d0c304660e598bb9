import { type ChannelVersion, CorruptDataError } from "@stowage/core";

/** A channel version as two columns, so that 1 and "1" stay different versions. */
export function versionColumns(version: ChannelVersion): { versionType: "number" | "string"; version: string } {
  return { versionType: typeof version === "number" ? "number" : "string", version: String(version) };
}

/** One blob's key as a string, for sets and maps of blobs. */
export const blobId = (channel: string, versionType: string, version: string) =>
  `${channel}\0${versionType}\0${version}`;

/** True when the load statement matches this version's blob itself (strings, and integers it prints alike). */
export const matchedInSql = (version: ChannelVersion) => typeof version === "string" || Number.isSafeInteger(version);

/** A JSON column this package stored; unparsable means the file is damaged. */
export function parseColumn(text: string, column: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CorruptDataError(`checkpoint ${column} in ${path} is not valid JSON`, { cause: error });
  }
}
