import { createHash } from "node:crypto";
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

/** A flipped byte: the byte at `at` (a position inside the flip range, taken modulo its length) XOR `mask`. */
export interface Flip {
  at: number;
  mask: number;
}

/** What the suite does to one file: cut it to `keep` bytes (modulo its size), or flip a few bytes. */
export type Damage = { cut: number } | { flips: Flip[] };

/** The bytes of a file, or of a symlink's target text. */
function bytesOf(path: string): { bytes: Buffer; symlink: boolean } {
  if (lstatSync(path).isSymbolicLink()) return { bytes: readlinkSync(path, { encoding: "buffer" }), symlink: true };
  return { bytes: readFileSync(path), symlink: false };
}

function replaceSymlink(path: string, target: Buffer): void {
  unlinkSync(path);
  symlinkSync(target, path);
}

/**
 * Applies `damage` to `path` and says what it did, for the failure message. A symlink's target
 * is rewritten (a target cannot be empty or hold NUL, so a cut keeps one byte and a flip to NUL
 * flips the top bit instead). Returns undefined when the damage changes nothing (a cut of an
 * empty file).
 */
export function applyDamage(path: string, damage: Damage, flipRange?: readonly [number, number]): string | undefined {
  const { bytes, symlink } = bytesOf(path);
  if ("cut" in damage) {
    const keep = bytes.length === 0 ? 0 : damage.cut % bytes.length;
    if (symlink) {
      if (bytes.length <= 1) return undefined;
      const kept = Math.max(1, keep);
      replaceSymlink(path, bytes.subarray(0, kept));
      return `symlink target cut from ${bytes.length} to ${kept} bytes`;
    }
    if (bytes.length === 0) return undefined;
    truncateSync(path, keep);
    return `cut from ${bytes.length} to ${keep} bytes`;
  }
  const [from, to] = flipRange ?? [0, bytes.length];
  const end = Math.min(to, bytes.length);
  if (end <= from) return undefined;
  const changed = Buffer.from(bytes);
  const done: string[] = [];
  for (const { at, mask } of damage.flips) {
    const offset = from + (at % (end - from));
    let next = (changed[offset] as number) ^ mask;
    if (symlink && next === 0) next = (changed[offset] as number) ^ 0x80;
    done.push(`byte ${offset} 0x${(changed[offset] as number).toString(16)}→0x${next.toString(16)}`);
    changed[offset] = next;
  }
  if (changed.equals(bytes)) return undefined;
  if (symlink) replaceSymlink(path, changed);
  else writeFileSync(path, changed);
  return `${symlink ? "symlink target " : ""}${done.join(", ")} of ${bytes.length}`;
}

/** Copies a store's directory tree (symlinks as symlinks): a few times faster than cpSync on trees of small files. */
export function copyTree(from: string, to: string): void {
  mkdirSync(to, { mode: 0o700 });
  for (const item of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, item.name);
    const target = join(to, item.name);
    if (item.isDirectory()) copyTree(source, target);
    else if (item.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else copyFileSync(source, target);
  }
}

/** Every entry under `dir` with a digest of its content (file bytes, symlink target) and its mode. */
export function snapshotTree(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (at: string, relative: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      const key = relative ? `${relative}/${name}` : name;
      const stat = lstatSync(path);
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isDirectory()) {
        found.set(key, `dir ${mode}`);
        walk(path, key);
      } else if (stat.isSymbolicLink()) {
        found.set(key, `symlink → ${readlinkSync(path)}`);
      } else {
        found.set(key, `file ${mode} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`);
      }
    }
  };
  walk(dir, "");
  return found;
}

/** What differs between two snapshots, one line per entry. */
export function treeDifferences(before: Map<string, string>, after: Map<string, string>): string[] {
  const lines: string[] = [];
  for (const [key, was] of before) {
    const now = after.get(key);
    if (now === undefined) lines.push(`${key}: removed (was ${was})`);
    else if (now !== was) lines.push(`${key}: ${was} → ${now}`);
  }
  for (const [key, now] of after) if (!before.has(key)) lines.push(`${key}: added (${now})`);
  return lines;
}
