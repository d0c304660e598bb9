import { ConfigError } from "../errors.js";

/** Parses a size in bytes: a plain integer, or with a unit (kb, mb, gb, kib, mib, gib). */
export function parseByteSize(raw: string | number, field: string): number {
  if (typeof raw === "number") {
    if (Number.isSafeInteger(raw) && raw > 0) return raw;
    throw new ConfigError(field, `must be a positive whole number of bytes, got ${raw}`);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$/i.exec(raw);
  if (!match)
    throw new ConfigError(field, `must be a size in bytes such as 1048576, 512kb or 1gb, got ${JSON.stringify(raw)}`);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
  const bytes = Math.floor(Number(match[1]) * (units[(match[2] ?? "b").toLowerCase()] as number));
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new ConfigError(field, `must be a positive size, got ${JSON.stringify(raw)}`);
  return bytes;
}

/** Parses a positive integer number of milliseconds (or of seconds when `unit` is "s", returned as ms). */
export function parseDuration(raw: string | number, field: string, unit: "ms" | "s" = "ms"): number {
  const value = typeof raw === "number" ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigError(
      field,
      `must be a positive whole number of ${unit === "s" ? "seconds" : "milliseconds"}, got ${JSON.stringify(raw)}`,
    );
  }
  return unit === "s" ? value * 1000 : value;
}

const SECOND_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration given in seconds as the Python predecessor read its env (diskcache, filelock):
 * a number of seconds, whole or decimal (`60`, `1.5`, `0`), or with a unit (`500ms`, `60s`, `5m`, `2h`, `1d`).
 * Returns whole milliseconds, 0 included; the caller says what 0 means.
 */
export function parseSeconds(raw: string, field: string): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$/i.exec(raw);
  const allowed = "seconds such as 60, 1.5 or 0, or with a unit: 500ms, 60s, 5m, 2h, 1d";
  if (!match) throw new ConfigError(field, `must be ${allowed}, got ${JSON.stringify(raw)}`);
  const amount = Number(match[1]);
  const ms = Math.round(amount * (SECOND_UNITS[(match[2] ?? "s").toLowerCase()] as number));
  if (!Number.isSafeInteger(ms)) throw new ConfigError(field, `is too long, got ${JSON.stringify(raw)}`);
  if (ms === 0 && amount !== 0) throw new ConfigError(field, `is shorter than 1 ms, got ${JSON.stringify(raw)}`);
  return ms;
}

/** Parses an enumerated option. */
export function parseChoice<T extends string>(raw: string, field: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(
    field,
    `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(raw)}`,
  );
}

/** Parses a boolean option: true/false/1/0/yes/no. */
export function parseBoolean(raw: string | boolean, field: string): boolean {
  if (typeof raw === "boolean") return raw;
  const value = raw.toLowerCase();
  if (["true", "1", "yes", "on"].includes(value)) return true;
  if (["false", "0", "no", "off"].includes(value)) return false;
  throw new ConfigError(field, `must be true or false, got ${JSON.stringify(raw)}`);
}

/** Throws ConfigError naming the first URL parameter that is not in `allowed`. */
export function assertKnownParams(params: URLSearchParams, allowed: readonly string[], scheme: string): void {
  for (const name of params.keys()) {
    if (!allowed.includes(name)) {
      const list = allowed.length ? allowed.join(", ") : "none";
      throw new ConfigError(
        `url.${name}`,
        `is not an option of ${scheme}:// URLs (allowed: ${list}, plus namespace, codec, ttl, maxSize, maxValueBytes)`,
      );
    }
  }
}
