import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CorruptDataError } from "@stowage/core";
import { errnoOf } from "./atomic-file.js";

/** What a namespace directory holds (README "Layout"). */
const NAMESPACE_PARTS = new Set(["cache", "cache-mutex", "locks", "checkpoints"]);

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return [];
    if (errnoOf(error) === "ENOTDIR") return ["(not a directory)"];
    throw error;
  }
}

/**
 * Refuses a directory that is not a store before anything is written into it: a store is empty
 * (new), holds the "~tmp" directory every store makes first, or (a copy that lost the empty ~tmp)
 * holds only namespace directories of store parts. ERR_CORRUPT_DATA, not ERR_CONFIG: a store that
 * lost its marks cannot be told from another program's directory, and neither is one to write to.
 */
export function assertStoreDirectory(dir: string): void {
  if (statSync(join(dir, "~tmp"), { throwIfNoEntry: false })?.isDirectory()) return;
  const entries = names(dir);
  if (entries.length === 0) return;
  const foreign = entries.filter((name) => !names(join(dir, name)).every((part) => NAMESPACE_PARTS.has(part)));
  if (foreign.length === 0) return;
  throw new CorruptDataError(
    `${dir} is not a stowage file store: it holds ${foreign
      .slice(0, 3)
      .map((name) => JSON.stringify(name))
      .join(", ")}${foreign.length > 3 ? ", …" : ""} and no ~tmp directory; point the URL at an empty or new directory`,
  );
}
