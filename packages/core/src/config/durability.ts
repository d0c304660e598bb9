import { ConfigError } from "../errors.js";
import { parseChoice } from "./params.js";

/**
 * What an acknowledged write survives on a local backend (SQLite, LMDB, files), one vocabulary
 * for all of them (docs/design.md "Durability"):
 * - "process" (the default): every acknowledged write survives a crash of the writing process
 *   (SIGKILL, OOM); an OS crash or power loss may lose the last moments of writes (each backend's
 *   README gives the bound) and never leaves a damaged store.
 * - "full": every acknowledged write also survives an OS crash or power loss (a disk flush per
 *   commit; writes acknowledged together share one).
 */
export type Durability = "process" | "full";

export const DURABILITY_LEVELS: readonly Durability[] = ["process", "full"];
export const DEFAULT_DURABILITY: Durability = "process";

/** Reads a `durability` option or URL parameter; undefined stays undefined (the backend's default applies). */
export function parseDurability(raw: unknown, field = "durability"): Durability | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string") throw new ConfigError(field, `must be one of "process", "full"`);
  return parseChoice(raw.toLowerCase(), field, DURABILITY_LEVELS);
}
