import { assertKnownParams, ConfigError, parseByteSize, parseChoice, parseDuration } from "@stowage/core";

/** When an acknowledged write is on disk: see README "Durability". */
export type SyncMode = "full" | "overlapping" | "off";

export interface LmdbOptions {
  /** Durability of acknowledged writes; default "full". */
  sync: SyncMode;
  /** Initial map size in bytes; lmdb grows the map as the data grows. */
  mapSize?: number;
  /** How often expired entries are swept (ms); default one minute. */
  sweepEveryMs: number;
  /** How long a write (and opening the store) waits for another process's write transaction; default 5 s. */
  timeoutMs: number;
}

const PARAMS = ["sync", "mapSize", "sweepEveryMs", "timeout"] as const;
const SYNC_MODES: readonly SyncMode[] = ["full", "overlapping", "off"];
export const DEFAULT_SWEEP_EVERY_MS = 60_000;
export const DEFAULT_TIMEOUT_MS = 5_000;

function syncMode(raw: unknown, field: string): SyncMode {
  if (raw === true || raw === "true") return "full";
  if (raw === false || raw === "false") return "off";
  if (typeof raw !== "string") throw new ConfigError(field, `must be one of "full", "overlapping", "off"`);
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
  const sync = pick("sync");
  const mapSize = pick("mapSize");
  const sweep = pick("sweepEveryMs");
  const timeout = pick("timeout");
  return {
    // Not lmdb-js's own default (overlapping): with it, a process that outlives a writer killed
    // mid-commit fails its next commit with MDB_PANIC (test/durability.test.ts shows full and off do not).
    sync: sync === undefined ? "full" : syncMode(sync, "sync"),
    ...(mapSize !== undefined ? { mapSize: parseByteSize(mapSize as string | number, "mapSize") } : {}),
    sweepEveryMs:
      sweep === undefined ? DEFAULT_SWEEP_EVERY_MS : parseDuration(sweep as string | number, "sweepEveryMs"),
    timeoutMs: timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(timeout as string | number, "timeout"),
  };
}
