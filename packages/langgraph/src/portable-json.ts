import { isPortableJson } from "@stowage/core";

/** Objects JsonPlusSerializer revives or rewrites: `lc` records and `lg_name` sends. */
const hasSerdeMarker = (object: object): boolean => Object.hasOwn(object, "lc") || Object.hasOwn(object, "lg_name");

/** Deeper than this the quick check gives up and core's walk (which finds cycles) decides. */
const QUICK_DEPTH = 32;

/**
 * True only when JSON certainly keeps `value` exactly (plain data, shallow, no markers when asked):
 * a recursive check several times cheaper than core's walk, which still decides every other value.
 */
function quicklyPortable(value: unknown, markers: boolean, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      if (depth >= QUICK_DEPTH || (markers && hasSerdeMarker(value))) return false;
      if (Object.getOwnPropertySymbols(value).length > 0) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !quicklyPortable(value[i], markers, depth + 1)) return false;
        }
        return Object.keys(value).length === value.length;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key of Object.keys(value)) {
        if (!quicklyPortable((value as Record<string, unknown>)[key], markers, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * True when JSON keeps `value` exactly (core's check). `serdeMarkers` also refuses objects with
 * the keys JsonPlusSerializer revives or rewrites, so such a value loads back the same without serde.
 */
export function isPortableForSaver(value: unknown, serdeMarkers = false): boolean {
  try {
    if (quicklyPortable(value, serdeMarkers, 0)) return true;
  } catch {
    // A getter that throws: core's walk says why.
  }
  return isPortableJson(value, serdeMarkers ? hasSerdeMarker : undefined);
}
