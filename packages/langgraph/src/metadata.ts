import type { JsonObject } from "@stowage/core";
import { isPortableForSaver } from "./portable-json.js";

/**
 * Splits LangGraph metadata into what the store filters on (JSON) and, when JSON would change it
 * (undefined, Dates, class instances), the exact value to keep beside the payload.
 */
export function filterableMetadata(metadata: unknown): { filterable: JsonObject; exact: boolean } {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))
    return { filterable: {}, exact: false };
  if (isPortableForSaver(metadata)) return { filterable: metadata as JsonObject, exact: true };
  let copy: JsonObject = {};
  try {
    copy = JSON.parse(JSON.stringify(metadata, (_key, value) => (typeof value === "bigint" ? String(value) : value)));
  } catch {
    // A cycle: nothing JSON can filter on, the exact copy still round-trips through serde.
  }
  return { filterable: copy, exact: false };
}

/** The filter as JSON: keys whose value is undefined are dropped (JSON cannot hold them). */
export function jsonFilter(filter: Record<string, unknown> | undefined): JsonObject | undefined {
  if (!filter) return undefined;
  const entries = Object.entries(filter).filter(([, value]) => value !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as JsonObject);
}
