import { type Dirent, linkSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { PRIVATE_DIR_MODE } from "@stowage/core";
import { errnoOf, inDir, unlinkQuietly } from "./atomic-file.js";
import { SEGMENT, toHex, toRelativePath } from "./path-codec.js";
import { type Leaf, leaves, leavesDescending, listDir, pruneEmptyDirs } from "./tree-walk.js";

/**
 * Where the checkpoint files of one (thread, ns) directory live, so that the newest ones are
 * found without listing the whole history:
 *
 *   <ns dir>/~c/<id>.c                 recent: the newest checkpoints, a few dozen at most
 *   <ns dir>/~c/<floor>.f              "everything in ~a has an id (hex) at or below <floor>"
 *   <ns dir>/~a/<8 bytes>/<3 bytes>/<rest>.c   archive: older checkpoints bucketed by id prefix
 *
 * Writers create new checkpoints in ~c; once it holds more than RECENT_MAX, the oldest go to the
 * archive (a floor marker first, then one rename each). A newest-first walk lists ~c and opens
 * the archive only when the page reaches below the floor, one bucket at a time, so get-latest
 * and list(limit) cost grows with the limit, not the thread. Ids of uuid6 checkpoints begin with
 * their time, so a bucket is about 27 s, then about 0.1 s, of checkpoints; any other id works
 * too (byte order is kept), only the bucket sizes differ.
 *
 * The previous layout kept every checkpoint as <ns dir>/<id>.c. Such a directory (no ~c) is read
 * as it is; the first put into it, or a read that finds it long, moves its checkpoints into the
 * archive and only then creates ~c (by renaming a finished staging directory), so a reader sees
 * one layout or the other, never half of each.
 */
export const RECENT_DIR = "~c";
export const ARCHIVE_DIR = "~a";
/** Compaction keeps this many newest checkpoints in ~c. */
const RECENT_KEEP = 32;
/** A writer looks at ~c every this many puts into it; a reader compacts past twice RECENT_MAX. */
export const RECENT_MAX = 64;
const ARCHIVE_WIDTHS = [16, 6];
const FLOOR = ".f";

let stagingSequence = 0;

/** The archive path of `id` under an ns directory. */
export function archivePath(nsDir: string, id: string): string {
  const hex = toHex(id);
  const parts = [nsDir, ARCHIVE_DIR];
  let at = 0;
  for (const width of ARCHIVE_WIDTHS) {
    if (hex.length - at <= width) break;
    parts.push(hex.slice(at, at + width));
    at += width;
  }
  // The rest as path-codec splits long names (segments under NAME_MAX); hex is its own encoding.
  let rest = hex.slice(at);
  while (rest.length > SEGMENT) {
    parts.push(rest.slice(0, SEGMENT));
    rest = rest.slice(SEGMENT);
  }
  parts.push(`${rest}.c`);
  return join(...parts);
}

export function recentPath(nsDir: string, id: string): string {
  return join(nsDir, RECENT_DIR, toRelativePath(id, ".c"));
}

/** A checkpoint found by a walk: its id and the paths to try, in order (the file may move to the archive meanwhile). */
export interface CheckpointLeaf {
  text: string;
  hex: string;
  paths: string[];
}

function floorOf(listed: readonly Dirent[]): string | undefined {
  let floor: string | undefined;
  for (const item of listed) {
    if (!item.name.endsWith(FLOOR)) continue;
    const hex = item.name.slice(0, -FLOOR.length);
    if (floor === undefined || hex > floor) floor = hex;
  }
  return floor;
}

/** The floor marker name for a hex id: an upper bound of it that fits in a file name. */
function floorName(hex: string): string {
  return `${hex.length > SEGMENT ? `${hex.slice(0, SEGMENT)}~` : hex}${FLOOR}`;
}

function topLevelRecent(listed: readonly Dirent[]): Dirent[] {
  return listed.filter((item) => item.name.endsWith(".c") && !item.isDirectory());
}

/**
 * The checkpoints of an ns directory newest first, below `belowHex` when given. `compact`
 * is called with the listing of ~c when it has grown past twice RECENT_MAX.
 */
export function* newestFirst(nsDir: string, belowHex: string | undefined): Generator<CheckpointLeaf> {
  const recentDir = join(nsDir, RECENT_DIR);
  let listed = listDir(recentDir);
  if (listed === undefined) {
    const old = listDir(nsDir);
    if (old === undefined) return;
    if (old.filter((item) => item.name.endsWith(".c")).length > RECENT_MAX) {
      migrate(nsDir);
    } else {
      let found = false;
      for (const leaf of leavesDescending(nsDir, ".c", belowHex, "", old)) {
        found = true;
        yield {
          text: leaf.text,
          hex: leaf.hex,
          paths: [leaf.path, recentPath(nsDir, leaf.text), archivePath(nsDir, leaf.text)],
        };
      }
      // Nothing there: a migration may have finished between the two listings.
      if (found) return;
    }
    listed = listDir(recentDir);
    if (listed === undefined) return;
  }
  if (topLevelRecent(listed).length > 2 * RECENT_MAX) {
    compact(nsDir, listed);
    listed = listDir(recentDir) ?? [];
  }
  const floor = floorOf(listed);
  const recent = leavesDescending(recentDir, ".c", belowHex, "", listed);
  let archive: Generator<Leaf> | undefined;
  let r = recent.next();
  let a: IteratorResult<Leaf> | undefined;
  for (;;) {
    const nextRecent = r.done ? undefined : r.value;
    if (nextRecent && (floor === undefined || nextRecent.hex > floor)) {
      yield {
        text: nextRecent.text,
        hex: nextRecent.hex,
        paths: [nextRecent.path, archivePath(nsDir, nextRecent.text)],
      };
      r = recent.next();
      continue;
    }
    if (floor !== undefined && archive === undefined) {
      archive = leavesDescending(join(nsDir, ARCHIVE_DIR), ".c", belowHex);
      a = archive.next();
    }
    const nextArchive = a === undefined || a.done ? undefined : a.value;
    if (!nextRecent && !nextArchive) return;
    if (nextRecent && (!nextArchive || nextRecent.hex >= nextArchive.hex)) {
      yield {
        text: nextRecent.text,
        hex: nextRecent.hex,
        paths: [nextRecent.path, archivePath(nsDir, nextRecent.text)],
      };
      if (nextArchive && nextArchive.hex === nextRecent.hex) a = archive?.next();
      r = recent.next();
    } else if (nextArchive) {
      yield { text: nextArchive.text, hex: nextArchive.hex, paths: [nextArchive.path] };
      a = archive?.next();
    }
  }
}

/** Every checkpoint file of an ns directory in any layout (a checkpoint can have two while it moves). */
export function allCheckpointFiles(nsDir: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (leaf: Leaf) => {
    const paths = found.get(leaf.text);
    if (paths) paths.push(leaf.path);
    else found.set(leaf.text, [leaf.path]);
  };
  for (const leaf of leaves(nsDir, ".c")) add(leaf);
  for (const leaf of leaves(join(nsDir, RECENT_DIR), ".c")) add(leaf);
  for (const leaf of leaves(join(nsDir, ARCHIVE_DIR), ".c")) add(leaf);
  return found;
}

/**
 * Makes sure new checkpoints of `nsDir` can go to ~c, migrating a directory of the previous
 * layout first. Returns quickly when ~c exists.
 */
export function ensureRecentDir(nsDir: string): void {
  try {
    mkdirSync(nsDir, { mode: PRIVATE_DIR_MODE });
  } catch (error) {
    const code = errnoOf(error);
    if (code === "ENOENT") {
      // A new shard: make the parent, then nsDir (ensureDir(nsDir) would first retry the mkdir that just failed).
      inDir(dirname(nsDir), () => mkdirQuietly(nsDir));
    } else if (code === "EEXIST") {
      if (statSync(join(nsDir, RECENT_DIR), { throwIfNoEntry: false })) return;
      migrate(nsDir);
      return;
    } else throw error;
  }
  inDir(nsDir, () => mkdirQuietly(join(nsDir, RECENT_DIR)));
}

function mkdirQuietly(dir: string): void {
  try {
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  } catch (error) {
    if (errnoOf(error) !== "EEXIST") throw error;
  }
}

/** Links (or renames) `from` to its archive path, making the bucket directories it needs. */
function toArchive(nsDir: string, id: string, from: string, move: boolean): void {
  const to = archivePath(nsDir, id);
  const put = () => (move ? renameSync(from, to) : linkSync(from, to));
  try {
    put();
  } catch (error) {
    const code = errnoOf(error);
    if (code === "EEXIST") return;
    if (code !== "ENOENT") throw error;
    // The bucket is missing, or the source went (the thread was deleted): made one level at a
    // time from ~a down, so a deleted ns directory is not brought back.
    const parts = relative(join(nsDir, ARCHIVE_DIR), dirname(to)).split(sep).filter(Boolean);
    let dir = join(nsDir, ARCHIVE_DIR);
    for (let i = 0; ; i++) {
      try {
        mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
      } catch (made) {
        if (errnoOf(made) === "ENOENT") return;
        if (errnoOf(made) !== "EEXIST") throw made;
      }
      if (i >= parts.length) break;
      dir = join(dir, parts[i] as string);
    }
    try {
      put();
    } catch (again) {
      if (errnoOf(again) !== "EEXIST" && errnoOf(again) !== "ENOENT") throw again;
    }
  }
}

/** Moves the previous layout's <ns dir>/<id>.c files into the archive, then creates ~c. */
function migrate(nsDir: string): void {
  const old = [...leaves(nsDir, ".c")];
  const recentDir = join(nsDir, RECENT_DIR);
  if (old.length === 0) {
    mkdirQuietly(recentDir);
    return;
  }
  let floor = "";
  for (const leaf of old) {
    toArchive(nsDir, leaf.text, leaf.path, false);
    if (leaf.hex > floor) floor = leaf.hex;
  }
  const staging = join(nsDir, `~s.${process.pid}.${++stagingSequence}`);
  mkdirSync(staging, { mode: PRIVATE_DIR_MODE });
  symlinkSync("floor", join(staging, floorName(floor)));
  try {
    renameSync(staging, recentDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (errnoOf(error) === "ENOTEMPTY" || errnoOf(error) === "EEXIST") return; // another process migrated it
    throw error;
  }
  for (const leaf of old) unlinkQuietly(leaf.path);
  for (const item of listDir(nsDir) ?? []) {
    if (item.isDirectory() && /^[0-9a-f]+$/.test(item.name)) pruneEmptyDirs(join(nsDir, item.name));
  }
}

/**
 * Moves all but the newest RECENT_KEEP checkpoints of ~c to the archive: a floor marker (their
 * newest id) first, so a reader that no longer finds one in ~c knows to look in the archive.
 */
export function compact(nsDir: string, listed?: readonly Dirent[]): void {
  const recentDir = join(nsDir, RECENT_DIR);
  const items = listed ?? listDir(recentDir);
  if (items === undefined) return;
  const recent = topLevelRecent(items)
    .map((item) => ({ name: item.name, hex: item.name.slice(0, item.name.indexOf(".")) }))
    .sort((a, b) => (a.hex < b.hex ? 1 : a.hex > b.hex ? -1 : 0));
  if (recent.length <= RECENT_MAX) return;
  const moving = recent.slice(RECENT_KEEP);
  const floor = (moving[0] as { hex: string }).hex;
  try {
    symlinkSync("floor", join(recentDir, floorName(floor)));
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return; // the thread was deleted
    if (errnoOf(error) !== "EEXIST") throw error;
  }
  for (const leaf of moving) {
    const id = Buffer.from(leaf.hex, "hex").toString("utf8");
    toArchive(nsDir, id, join(recentDir, leaf.name), true);
  }
  for (const item of items) {
    if (item.name.endsWith(FLOOR) && item.name.slice(0, -FLOOR.length) < floor) {
      unlinkQuietly(join(recentDir, item.name));
    }
  }
}

/** Removes the floor markers of an ns directory whose checkpoints are all gone. */
export function dropFloorMarkers(nsDir: string): void {
  const recentDir = join(nsDir, RECENT_DIR);
  for (const item of listDir(recentDir) ?? []) {
    if (item.name.endsWith(FLOOR)) unlinkQuietly(join(recentDir, item.name));
  }
}
