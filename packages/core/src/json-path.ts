import { MAX_VALUE_DEPTH } from "./codecs/value-walk.js";
import { InvalidArgumentError } from "./errors.js";

/** One step of a parsed path: an object member name or an array index. */
export type PathSegment = string | number;

const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);
const NAME_CHAR = /[A-Za-z0-9_$-]/;

/** The most segments a path may have: a document nests at most MAX_VALUE_DEPTH deep, so no deeper path can exist. */
export const MAX_PATH_SEGMENTS = MAX_VALUE_DEPTH;

/**
 * Parses a RedisJSON-like path: `$`, `$.a.b`, `$.a[0]`, `$["a b"]`, `$['x']`, of at most
 * MAX_PATH_SEGMENTS segments. Throws InvalidArgumentError for anything else, and for
 * `__proto__`, `constructor`, `prototype`.
 */
export function parseJsonPath(path: unknown): PathSegment[] {
  if (typeof path !== "string" || !path.startsWith("$")) {
    const given = typeof path === "string" ? JSON.stringify(path) : typeof path;
    throw new InvalidArgumentError(`JSON path must be a string starting with "$", got ${given}`);
  }
  const segments: PathSegment[] = [];
  let i = 1;
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`JSON path ${JSON.stringify(path)} at position ${i}: ${why}`);
  };
  while (i < path.length) {
    if (segments.length === MAX_PATH_SEGMENTS) fail(`a path has at most ${MAX_PATH_SEGMENTS} segments`);
    const c = path[i];
    if (c === ".") {
      i++;
      const start = i;
      while (i < path.length && NAME_CHAR.test(path[i] as string)) i++;
      if (i === start) fail("expected a member name after '.'");
      segments.push(path.slice(start, i));
    } else if (c === "[") {
      i++;
      const quote = path[i];
      if (quote === '"' || quote === "'") {
        i++;
        let name = "";
        while (i < path.length && path[i] !== quote) {
          if (path[i] === "\\") i++;
          if (i >= path.length) break;
          name += path[i];
          i++;
        }
        if (path[i] !== quote) fail("unterminated quoted member name");
        i++;
        segments.push(name);
      } else {
        const start = i;
        while (i < path.length && /[0-9]/.test(path[i] as string)) i++;
        if (i === start) fail("expected an array index (a non-negative integer) or a quoted name");
        const index = Number(path.slice(start, i));
        if (!Number.isSafeInteger(index)) fail("array index is too large");
        segments.push(index);
      }
      if (path[i] !== "]") fail("expected ']'");
      i++;
    } else {
      fail(`unexpected character ${JSON.stringify(c)}`);
    }
  }
  for (const segment of segments) {
    if (typeof segment === "string" && FORBIDDEN.has(segment)) {
      throw new InvalidArgumentError(`JSON path ${JSON.stringify(path)} names "${segment}", which is never allowed`);
    }
  }
  return segments;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === "object" && value !== null;
}

function child(container: unknown, segment: PathSegment): unknown {
  if (typeof segment === "number") return Array.isArray(container) ? container[segment] : undefined;
  if (!isContainer(container) || Array.isArray(container)) return undefined;
  return Object.hasOwn(container, segment) ? container[segment] : undefined;
}

/** The value at `segments` inside `doc`, or undefined when the path does not exist. */
export function getAtPath(doc: unknown, segments: PathSegment[]): unknown {
  let current = doc;
  for (const segment of segments) {
    current = child(current, segment);
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * Returns a copy of `doc` with `value` at `segments`, creating missing objects (for names) and
 * arrays (for index 0) on the way. An index past the end of an array, or a step into a
 * string/number, is an InvalidArgumentError. Iterative: one copy per level, no recursion.
 */
export function setAtPath(doc: unknown, segments: PathSegment[], value: unknown): unknown {
  const copies: (Record<string, unknown> | unknown[])[] = [];
  let current = doc;
  for (const segment of segments) {
    if (typeof segment === "number") {
      const base = current === undefined ? [] : current;
      if (!Array.isArray(base)) throw new InvalidArgumentError(`JSON path index [${segment}] applied to a non-array`);
      if (segment > base.length) {
        throw new InvalidArgumentError(`JSON path index [${segment}] is past the end of an array of ${base.length}`);
      }
      copies.push(base.slice());
      current = base[segment];
    } else {
      const base = current === undefined ? {} : current;
      if (!isContainer(base) || Array.isArray(base)) {
        throw new InvalidArgumentError(`JSON path member "${segment}" applied to a non-object`);
      }
      copies.push({ ...base });
      current = child(base, segment);
    }
  }
  return relink(copies, segments, value);
}

/** Puts `value` at the end of the copied chain `copies` (one per segment) and returns the top. */
function relink(copies: (Record<string, unknown> | unknown[])[], segments: PathSegment[], value: unknown): unknown {
  let inner = value;
  for (let level = copies.length - 1; level >= 0; level--) {
    const copy = copies[level] as Record<string | number, unknown>;
    // A defined own property: a member named like Object.prototype's is stored, never inherited.
    Object.defineProperty(copy, segments[level] as PathSegment, {
      value: inner,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    inner = copy;
  }
  return inner;
}

/** Returns [copy of `doc` without the value at `segments`, whether anything was removed]. */
export function deleteAtPath(doc: unknown, segments: PathSegment[]): [unknown, boolean] {
  if (segments.length === 0) return [undefined, true];
  const parents: unknown[] = [];
  let current = doc;
  for (const segment of segments) {
    parents.push(current);
    current = child(current, segment);
    if (current === undefined) return [doc, false];
  }
  const last = segments.length - 1;
  const parent = parents[last];
  let replaced: unknown;
  if (Array.isArray(parent)) {
    const copy = parent.slice();
    copy.splice(segments[last] as number, 1);
    replaced = copy;
  } else {
    const { [segments[last] as string]: _removed, ...kept } = parent as Record<string, unknown>;
    replaced = kept;
  }
  const copies = parents
    .slice(0, last)
    .map((container) => (Array.isArray(container) ? container.slice() : { ...(container as Record<string, unknown>) }));
  return [relink(copies, segments, replaced), true];
}
