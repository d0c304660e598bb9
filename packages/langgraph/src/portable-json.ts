import { isPortableJson } from "@stowage/core";

/** Objects JsonPlusSerializer revives or rewrites: `lc` records and `lg_name` sends. */
const hasSerdeMarker = (object: object): boolean => Object.hasOwn(object, "lc") || Object.hasOwn(object, "lg_name");

/**
 * True when JSON keeps `value` exactly (core's check). `serdeMarkers` also refuses objects with
 * the keys JsonPlusSerializer revives or rewrites, so such a value loads back the same without serde.
 */
export function isPortableForSaver(value: unknown, serdeMarkers = false): boolean {
  return isPortableJson(value, serdeMarkers ? hasSerdeMarker : undefined);
}
