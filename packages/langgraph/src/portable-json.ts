/**
 * True when JSON keeps `value` exactly: plain objects, arrays, strings, finite numbers, booleans
 * and null. `serdeMarkers` also refuses objects with the keys JsonPlusSerializer revives or
 * rewrites (`lc` records, `lg_name` sends), so such a value loads back the same without serde.
 */
export function isPortableJson(value: unknown, serdeMarkers = false, depth = 0): boolean {
  if (depth > 100) return false;
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (const item of value) if (!isPortableJson(item, serdeMarkers, depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      if (serdeMarkers && (Object.hasOwn(value, "lc") || Object.hasOwn(value, "lg_name"))) return false;
      for (const key in value) {
        if (!isPortableJson((value as Record<string, unknown>)[key], serdeMarkers, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
