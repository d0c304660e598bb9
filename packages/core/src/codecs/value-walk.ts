import { SerializationError } from "../errors.js";

/** The deepest nesting of arrays, objects, Maps and Sets a codec stores (and a JSON path may name). */
export const MAX_VALUE_DEPTH = 1000;

/** The members of a container a codec stores: `labels` names them in error paths (indices when absent). */
export interface Members {
  readonly values: readonly unknown[];
  readonly labels?: readonly string[];
}

/**
 * What a codec says of one value: undefined when it is stored as it is (a leaf), its members
 * when it is a container whose members must be checked too; `refuse` throws the codec's reason.
 */
export type Inspect = (value: unknown, refuse: (why: string) => never) => Members | undefined;

interface Frame {
  readonly container: object;
  readonly members: Members;
  next: number;
  readonly parent: Frame | undefined;
  readonly label: string | undefined;
}

function labelOf(frame: Frame, index: number): string {
  const name = frame.members.labels?.[index];
  return name === undefined ? `[${index}]` : `.${name}`;
}

function pathOf(parent: Frame | undefined, label: string | undefined): string {
  const parts: string[] = [];
  if (label !== undefined) parts.push(label);
  for (let frame = parent; frame; frame = frame.parent) if (frame.label !== undefined) parts.push(frame.label);
  return `value${parts.reverse().join("")}`;
}

/**
 * Checks every value inside `root` with `inspect`, iteratively (no recursion, so no depth can
 * overflow the stack): a cycle, nesting past MAX_VALUE_DEPTH, a refusal, or an exception from
 * reading a member (a getter that throws) is a SerializationError naming the path.
 */
export function walkValue(root: unknown, inspect: Inspect): void {
  const onPath = new Set<object>();
  const stack: Frame[] = [];
  const enter = (value: unknown, parent: Frame | undefined, label: string | undefined): void => {
    const refuse = (why: string): never => {
      throw new SerializationError(`${pathOf(parent, label)} ${why}`);
    };
    if (typeof value === "object" && value !== null && onPath.has(value)) refuse("is a circular reference");
    let members: Members | undefined;
    try {
      members = inspect(value, refuse);
    } catch (error) {
      if (error instanceof SerializationError) throw error;
      throw new SerializationError(`${pathOf(parent, label)} could not be read: ${(error as Error)?.message}`, {
        cause: error,
      });
    }
    if (members === undefined) return;
    if (stack.length >= MAX_VALUE_DEPTH)
      refuse(`is nested deeper than ${MAX_VALUE_DEPTH} levels, the most a codec stores`);
    onPath.add(value as object);
    stack.push({ container: value as object, members, next: 0, parent, label });
  };
  enter(root, undefined, undefined);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    if (top.next === top.members.values.length) {
      stack.pop();
      onPath.delete(top.container);
      continue;
    }
    const index = top.next++;
    enter(top.members.values[index], top, labelOf(top, index));
  }
}

/** Runs `walk` and says whether it found nothing to refuse. */
export function passes(walk: () => void): boolean {
  try {
    walk();
    return true;
  } catch (error) {
    if (error instanceof SerializationError) return false;
    throw error;
  }
}

/** Refuses what JSON and msgpack both drop from an array: holes, symbol keys and non-index properties. */
export function arrayMembers(array: unknown[], refuse: (why: string) => never): Members {
  if (Object.getOwnPropertySymbols(array).length > 0) refuse("has symbol keys, which the codec would drop");
  const length = array.length;
  for (let i = 0; i < length; i++) if (!(i in array)) refuse(`is a sparse array (no element at [${i}])`);
  if (Object.keys(array).length !== length) refuse("is an array with extra properties, which the codec would drop");
  return { values: array };
}

/** The own enumerable string-keyed members of a plain object; symbol keys are refused (the codec would drop them). */
export function objectMembers(object: object, refuse: (why: string) => never): Members {
  if (Object.getOwnPropertySymbols(object).length > 0) refuse("has symbol keys, which the codec would drop");
  const labels = Object.keys(object);
  const values = labels.map((key) => (object as Record<string, unknown>)[key]);
  return { values, labels };
}
