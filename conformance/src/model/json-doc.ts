/**
 * The model's own reading of the JsonPathOps contract (contracts.ts), written apart from core's
 * json-path.ts so that a defect there shows up as a difference:
 * - a name steps into a member of an object (never an array), an index into an element of an array;
 * - `get` of a path that does not exist is undefined (a stored null is null);
 * - `set` creates the document and every missing parent: an object for a name, an array for
 *   index 0; an index equal to the length appends; an index past it, or a step into a scalar,
 *   null or the other kind of container, is ERR_INVALID_ARGUMENT and changes nothing;
 * - `del` removes a member or an element (later elements move down, as RedisJSON's JSON.DEL does);
 *   a path that does not exist removes nothing.
 */
export type Segment = string | number;

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function step(value: Json, segment: Segment): Json {
  if (typeof segment === "number") return Array.isArray(value) ? value[segment] : undefined;
  return isObject(value) && Object.hasOwn(value, segment) ? value[segment] : undefined;
}

export function docGet(doc: Json, path: readonly Segment[]): Json {
  let value = doc;
  for (const segment of path) {
    if (value === undefined) return undefined;
    value = step(value, segment);
  }
  return value;
}

/** The document with `value` at `path`, or "invalid" when the contract refuses the path for it. */
export function docSet(doc: Json, path: readonly Segment[], value: Json): Json | "invalid" {
  if (path.length === 0) return value;
  const [segment, ...rest] = path as [Segment, ...Segment[]];
  if (typeof segment === "number") {
    const array = doc === undefined ? [] : doc;
    if (!Array.isArray(array) || segment > array.length) return "invalid";
    const inner = docSet(array[segment], rest, value);
    if (inner === "invalid") return "invalid";
    const copy = [...array];
    copy[segment] = inner;
    return copy;
  }
  const object = doc === undefined ? {} : doc;
  if (!isObject(object)) return "invalid";
  const inner = docSet(step(object, segment), rest, value);
  if (inner === "invalid") return "invalid";
  return { ...object, [segment]: inner };
}

/** The document without what is at `path` (not empty), or "absent" when nothing is there. */
export function docDelete(doc: Json, path: readonly Segment[]): Json | "absent" {
  const [segment, ...rest] = path as [Segment, ...Segment[]];
  const inner = step(doc, segment);
  if (inner === undefined) return "absent";
  if (rest.length === 0) {
    if (Array.isArray(doc)) return doc.filter((_, i) => i !== segment);
    const { [segment as string]: _gone, ...kept } = doc as JsonObject;
    return kept;
  }
  const changed = docDelete(inner, rest);
  if (changed === "absent") return "absent";
  if (Array.isArray(doc)) return doc.map((item, i) => (i === segment ? changed : item));
  return { ...(doc as JsonObject), [segment]: changed };
}

/** A path as the contract spells it: `$`, then `.name`, `["name"]`, `['name']` or `[index]` per segment. */
export function pathText(path: readonly Segment[], quoting: readonly number[] = []): string {
  return `$${path
    .map((segment, i) => {
      if (typeof segment === "number") return `[${segment}]`;
      const style = quoting[i] ?? 0;
      if (style === 0 && /^[A-Za-z0-9_$-]+$/.test(segment)) return `.${segment}`;
      const quote = style === 2 ? "'" : '"';
      return `[${quote}${segment.replace(/[\\"']/g, (c) => (c === quote || c === "\\" ? `\\${c}` : c))}${quote}]`;
    })
    .join("")}`;
}
