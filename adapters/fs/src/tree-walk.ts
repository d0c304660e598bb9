import { type Dirent, readdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { errnoOf } from "./atomic-file.js";
import { fromHex } from "./path-codec.js";

/** A file found under a tree of hex segments: the string its path encodes and where it is. */
export interface Leaf {
  /** The decoded string (key, id, …). */
  text: string;
  /** The whole hex name, segments joined. */
  hex: string;
  path: string;
}

function list(dir: string): Dirent[] {
  return listDir(dir) ?? [];
}

/** The entries of a directory; undefined when it does not exist. */
export function listDir(dir: string): Dirent[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return undefined;
    throw error;
  }
}

/**
 * Every leaf ending in `suffix` under `dir` (made by toSegments), in no particular order. A leaf
 * may be a file or a directory; directories named by plain hex are the segments of long names.
 */
export function* leaves(dir: string, suffix: string, prefixHex = "", listed?: readonly Dirent[]): Generator<Leaf> {
  for (const item of listed ?? list(dir)) {
    const path = join(dir, item.name);
    if (item.name.endsWith(suffix)) {
      const hex = prefixHex + hexPart(item.name);
      const text = fromHex(hex);
      if (text !== undefined) yield { text, hex, path };
    } else if (item.isDirectory() && /^[0-9a-f]+$/.test(item.name)) {
      yield* leaves(path, suffix, prefixHex + item.name);
    }
  }
}

/**
 * The leaves under `dir` newest first: descending by the hex name (the byte order of the
 * strings), skipping those not below `belowHex` without opening their directories.
 */
export function* leavesDescending(
  dir: string,
  suffix: string,
  belowHex?: string,
  prefixHex = "",
  listed?: readonly Dirent[],
): Generator<Leaf> {
  const items: { key: string; leaf: boolean; name: string }[] = [];
  for (const item of listed ?? list(dir)) {
    if (item.name.endsWith(suffix)) {
      items.push({ key: prefixHex + hexPart(item.name), leaf: true, name: item.name });
    } else if (item.isDirectory() && /^[0-9a-f]+$/.test(item.name)) {
      items.push({ key: prefixHex + item.name, leaf: false, name: item.name });
    }
  }
  // Descending; a leaf equal to a directory's name sorts before everything inside that directory.
  items.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : a.leaf === b.leaf ? 0 : a.leaf ? 1 : -1));
  for (const item of items) {
    const path = join(dir, item.name);
    if (item.leaf) {
      if (belowHex !== undefined && item.key >= belowHex) continue;
      const text = fromHex(item.key);
      if (text !== undefined) yield { text, hex: item.key, path };
    } else {
      if (belowHex !== undefined && item.key > belowHex && !belowHex.startsWith(item.key)) continue;
      yield* leavesDescending(path, suffix, belowHex, item.key);
    }
  }
}

/** A leaf's name is its last hex segment, then "."-separated tags ending in the suffix. */
function hexPart(name: string): string {
  return name.slice(0, name.indexOf("."));
}

/** Removes empty directories under `dir` (not `dir` itself); a directory a writer refills meanwhile stays. */
export function pruneEmptyDirs(dir: string): void {
  for (const item of list(dir)) {
    if (!item.isDirectory()) continue;
    const path = join(dir, item.name);
    pruneEmptyDirs(path);
    try {
      rmdirSync(path);
    } catch {
      // Not empty, or already gone.
    }
  }
}
