import {
  assertKnownParams,
  ConfigError,
  DEFAULT_DURABILITY,
  parseByteSize,
  parseChoice,
  parseDurability,
  parseDuration,
} from "@stowage/core";

/**
 * When an acknowledged write is on disk: see README "Durability". "process" and "full" are core's
 * durability levels; "overlapping" and "off" are lmdb-js modes kept for stores that ask for them.
 */
export type SyncMode = "process" | "full" | "overlapping" | "off";

export interface LmdbOptions {
  /** Durability of acknowledged writes; default "process" (core's default level). */
  sync: SyncMode;
  /** Initial map size in bytes; lmdb grows the map as the data grows. */
  mapSize?: number;
  /** How often expired entries are swept (ms); default one minute. */
  sweepEveryMs: number;
  /** How long a write (and opening the store) waits for another process's write transaction; default 5 s. */
  timeoutMs: number;
}

const PARAMS = ["durability", "sync", "mapSize", "sweepEveryMs", "timeout"] as const;
const SYNC_MODES: readonly SyncMode[] = ["process", "full", "overlapping", "off"];
export const DEFAULT_SWEEP_EVERY_MS = 60_000;
export const DEFAULT_TIMEOUT_MS = 5_000;

function syncMode(raw: unknown, field: string): SyncMode {
  if (raw === true || raw === "true") return "full";
  if (raw === false || raw === "false") return "off";
  if (typeof raw !== "string") throw new ConfigError(field, `must be one of "process", "full", "overlapping", "off"`);
  return parseChoice(raw, field, SYNC_MODES);
}

/** Reads the lmdb options from URL params, overridden by the object-form options. */
export function readOptions(params: URLSearchParams, options: Record<string, unknown>): LmdbOptions {
  assertKnownParams(params, PARAMS, "lmdb");
  for (const name of Object.keys(options)) {
    if (!(PARAMS as readonly string[]).includes(name)) {
      throw new ConfigError(`options.${name}`, `is not an lmdb option (allowed: ${PARAMS.join(", ")})`);
    }
  }
  const pick = (name: (typeof PARAMS)[number]) => options[name] ?? params.get(name) ?? undefined;
  const durability = parseDurability(pick("durability"));
  const sync = pick("sync");
  if (durability !== undefined && sync !== undefined) {
    throw new ConfigError("sync", "give durability or sync, not both (sync is lmdb's own name for the same choice)");
  }
  const mapSize = pick("mapSize");
  const sweep = pick("sweepEveryMs");
  const timeout = pick("timeout");
  return {
    // Not lmdb-js's own default (overlapping): its shared sync mutex, recovered after a writer died
    // holding it, panics the recovering process (README "Durability"); "process" maps to noMetaSync.
    sync: sync !== undefined ? syncMode(sync, "sync") : (durability ?? DEFAULT_DURABILITY),
    ...(mapSize !== undefined ? { mapSize: parseByteSize(mapSize as string | number, "mapSize") } : {}),
    sweepEveryMs:
      sweep === undefined ? DEFAULT_SWEEP_EVERY_MS : parseDuration(sweep as string | number, "sweepEveryMs"),
    timeoutMs: timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(timeout as string | number, "timeout"),
  };
}
