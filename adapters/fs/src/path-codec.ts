import { createHash } from "node:crypto";
import { join } from "node:path";

/**
 * Names on disk are lowercase hex of the UTF-8 bytes: injective, reversible, free of "/", "."
 * and NUL, identical on case-insensitive filesystems, and sorted like the strings they encode.
 */
export function toHex(text: string): string {
  return Buffer.from(text, "utf8").toString("hex");
}

/** The string a hex name encodes ("" for the empty name); undefined for a name that is not ours. */
export function fromHex(hex: string): string | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return undefined;
  return Buffer.from(hex, "hex").toString("utf8");
}

/** Hex characters per path segment: well under NAME_MAX (255) with room for a suffix. */
export const SEGMENT = 200;

/**
 * Splits the hex name of `text` into path segments: directories of exactly SEGMENT characters
 * (the first one `first` characters long when given), then a leaf carrying `suffix`, so a
 * 1024-byte key never makes a file name longer than NAME_MAX. Directory names have no suffix and
 * leaves always do, so a short key's leaf never collides with a long key's directory.
 */
export function toSegments(text: string, suffix: string, first = SEGMENT): string[] {
  const hex = toHex(text);
  const segments: string[] = [];
  let at = 0;
  let size = first;
  while (hex.length - at > size) {
    segments.push(hex.slice(at, at + size));
    at += size;
    size = SEGMENT;
  }
  segments.push(hex.slice(at) + suffix);
  return segments;
}

/** The relative path of `text` under a store directory. */
export function toRelativePath(text: string, suffix: string, first = SEGMENT): string {
  return join(...toSegments(text, suffix, first));
}

/** The string a list of segments (as toSegments made them) encodes; undefined when they are not ours. */
export function fromSegments(segments: readonly string[], suffix: string): string | undefined {
  const leaf = segments[segments.length - 1];
  if (leaf === undefined || !leaf.endsWith(suffix)) return undefined;
  return fromHex(segments.slice(0, -1).join("") + leaf.slice(0, leaf.length - suffix.length));
}

const SHARD_NAMES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A stable 2-hex-digit shard (FNV-1a of the UTF-16 code units), so no directory holds every key of a store. */
export function shardOf(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return SHARD_NAMES[((hash >>> 24) ^ (hash & 0xff)) & 0xff] as string;
}

/** The file in a digest-named directory that holds the name it stands for (UTF-8). */
export const NAME_FILE = "~name";

const DIGEST_NAME = /^~[0-9a-f]{64}\./;

/**
 * The name of a thread, ns, blob or write under its parent directory: its hex as always when that
 * fits one segment, else `~` + SHA-256 of it + `suffix`, so a 1024-byte thread, ns and id (or
 * channel and version) stay far below PATH_MAX; "~" is never hex, so the two kinds never meet.
 */
export function componentName(text: string, suffix: string): string {
  const hex = toHex(text);
  if (hex.length <= SEGMENT) return hex + suffix;
  return `~${createHash("sha256").update(text, "utf8").digest("hex")}${suffix}`;
}

/** Whether `name` is a digest name (componentName) with `suffix`. */
export function isDigestName(name: string, suffix: string): boolean {
  return name.endsWith(suffix) && name.length === 65 + suffix.length && DIGEST_NAME.test(name);
}
