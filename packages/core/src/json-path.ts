import { InvalidArgumentError } from "./errors.js";

/** One step of a parsed path: an object member name or an array index. */
export type PathSegment = string | number;

const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);
const NAME_CHAR = /[A-Za-z0-9_$-]/;

/**
 * Parses a RedisJSON-like path: `$`, `$.a.b`, `$.a[0]`, `$["a b"]`, `$['x']`.
 * Throws InvalidArgumentError for anything else, and for `__proto__`, `constructor`, `prototype`.
 */
export function parseJsonPath(path: unknown): PathSegment[] {
  if (typeof path !== "string" || !path.startsWith("$")) {
    throw new InvalidArgumentError(`JSON path must be a string starting with "$", got ${JSON.stringify(path)}`);
  }
  const segments: PathSegment[] = [];
  let i = 1;
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`JSON path ${JSON.stringify(path)} at position ${i}: ${why}`);
  };
  while (i < path.length) {
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
 * string/number, is an InvalidArgumentError.
 */
export function setAtPath(doc: unknown, segments: PathSegment[], value: unknown): unknown {
  if (segments.length === 0) return value;
  const [head, ...rest] = segments as [PathSegment, ...PathSegment[]];
  if (typeof head === "number") {
    const base = doc === undefined ? [] : doc;
    if (!Array.isArray(base)) throw new InvalidArgumentError(`JSON path index [${head}] applied to a non-array`);
    if (head > base.length) {
      throw new InvalidArgumentError(`JSON path index [${head}] is past the end of an array of ${base.length}`);
    }
    const copy = base.slice();
    copy[head] = setAtPath(base[head], rest, value);
    return copy;
  }
  const base = doc === undefined ? {} : doc;
  if (!isContainer(base) || Array.isArray(base)) {
    throw new InvalidArgumentError(`JSON path member "${head}" applied to a non-object`);
  }
  return { ...base, [head]: setAtPath(child(base, head), rest, value) };
}

/** Returns [copy of `doc` without the value at `segments`, whether anything was removed]. */
export function deleteAtPath(doc: unknown, segments: PathSegment[]): [unknown, boolean] {
  if (segments.length === 0) return [undefined, true];
  const [head, ...rest] = segments as [PathSegment, ...PathSegment[]];
  const next = child(doc, head);
  if (next === undefined) return [doc, false];
  if (rest.length === 0) {
    if (Array.isArray(doc)) {
      const copy = doc.slice();
      copy.splice(head as number, 1);
      return [copy, true];
    }
    const { [head as string]: _removed, ...kept } = doc as Record<string, unknown>;
    return [kept, true];
  }
  const [replaced, removed] = deleteAtPath(next, rest);
  if (!removed) return [doc, false];
  if (Array.isArray(doc)) {
    const copy = doc.slice();
    copy[head as number] = replaced;
    return [copy, true];
  }
  return [{ ...(doc as Record<string, unknown>), [head]: replaced }, true];
}
