import {
  assertKnownParams,
  type BackendOpenOptions,
  ConfigError,
  type Durability,
  localPathFromUrl,
  parseByteSize,
  parseChoice,
  parseDurability,
  parseDuration,
} from "@stowage/core";

/**
 * How the database file is synced. In WAL mode both survive a crash of the process (SIGKILL,
 * OOM): a committed transaction is in the WAL file, which the OS keeps. "normal" may lose the
 * last transactions (never corrupt the file) on power loss or an OS crash, because the WAL is
 * synced only at checkpoints; "full" syncs the WAL on every commit and survives power loss.
 */
export type SynchronousMode = "normal" | "full";

/** Everything the SQLite backend can be told, in object form. */
export interface SqliteOptions {
  /** The database file; its directory is created owner-only when missing. */
  path: string;
  /** Cache size limit in bytes per namespace (least recently used entries go first); undefined = unlimited. */
  maxSizeBytes?: number;
  /** Core's level: "process" (default) is synchronous=normal, "full" is synchronous=full. */
  durability?: Durability;
  /** SQLite's own name for the choice: default "normal" (survives process crashes); "full" also survives power loss. */
  synchronous?: SynchronousMode;
  /** How long a write waits for another process's write transaction before ERR_BACKEND_UNAVAILABLE (ms, default 5000). */
  busyTimeoutMs?: number;
  /** Runs gc() on every namespace this often (ms); undefined (the default) = no timer, call gc() yourself. */
  sweepEveryMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

const PARAMS = ["durability", "synchronous", "busyTimeout", "sweepEveryMs"] as const;

/** Reads a sqlite: URL and its parameters (object options win over URL parameters). */
export function sqliteOptionsFrom(open: BackendOpenOptions): SqliteOptions {
  assertKnownParams(open.params, PARAMS, "sqlite");
  for (const name of Object.keys(open.options)) {
    if (!(PARAMS as readonly string[]).includes(name)) {
      throw new ConfigError(
        `options.${name}`,
        `is not an option of the sqlite backend (allowed: ${PARAMS.join(", ")})`,
      );
    }
  }
  const pick = (name: (typeof PARAMS)[number]) => open.options[name] ?? open.params.get(name) ?? undefined;
  const options: SqliteOptions = { path: localPathFromUrl(open.url) };
  if (open.maxSizeBytes !== undefined) options.maxSizeBytes = parseByteSize(open.maxSizeBytes, "maxSize");
  const durability = parseDurability(pick("durability"), "url.durability");
  const synchronous = pick("synchronous");
  if (durability !== undefined && synchronous !== undefined) {
    throw new ConfigError("url.synchronous", "give durability or synchronous, not both (the same choice, two names)");
  }
  if (durability !== undefined) options.synchronous = durability === "full" ? "full" : "normal";
  if (synchronous !== undefined) {
    options.synchronous = parseChoice<SynchronousMode>(String(synchronous).toLowerCase(), "url.synchronous", [
      "normal",
      "full",
    ]);
  }
  const busyTimeout = pick("busyTimeout");
  if (busyTimeout !== undefined) options.busyTimeoutMs = parseDuration(busyTimeout as string, "url.busyTimeout");
  const sweepEveryMs = pick("sweepEveryMs");
  if (sweepEveryMs !== undefined) options.sweepEveryMs = parseDuration(sweepEveryMs as string, "url.sweepEveryMs");
  return options;
}
