import type { Storage } from "@stowage/core";
import { collect } from "../support.js";
import { type WrongValue, wrongValues as w } from "./wrong-values.js";

/** One parameter: a valid value, and the wrong ones to try in its place. */
export interface Param {
  readonly name: string;
  readonly valid: unknown;
  readonly wrong: readonly WrongValue[];
}

/** A public method and how to call it; `run` drains async iterables so their checks run. */
export interface MethodTable {
  readonly method: string;
  readonly params: readonly Param[];
  readonly iterates?: boolean;
}

/** Wrong values of an options object: wrong objects, then each field wrong in an otherwise valid object. */
export function optionsWith(
  valid: Record<string, unknown>,
  fields: Record<string, readonly WrongValue[]>,
): WrongValue[] {
  const out: WrongValue[] = [...w.options()];
  for (const [field, wrongs] of Object.entries(fields)) {
    for (const bad of wrongs) {
      out.push({ value: { ...valid, [field]: bad.value }, codes: bad.codes, label: `{ ${field}: ${bad.label} }` });
    }
  }
  return out;
}

/** A list of one element built from wrong values of that element's fields. */
function listOf(valid: Record<string, unknown>, fields: Record<string, readonly WrongValue[]>): WrongValue[] {
  const out: WrongValue[] = [];
  for (const bad of optionsWith(valid, fields)) {
    out.push({ value: [valid, bad.value], codes: bad.codes, label: `[valid, ${bad.label}]` });
  }
  return out;
}

const notAList = (): WrongValue[] =>
  [undefined, null, 42, "x", {}].map((value) => ({
    value,
    codes: ["ERR_INVALID_ARGUMENT", "ERR_INVALID_KEY"],
    label: String(value === null ? "null" : typeof value === "object" ? "{}" : value),
  }));

/** The store names the suite writes to; the checks after a table assert that none of them holds anything. */
export const EDGE = { key: "edge-key", lock: "edge-lock", thread: "edge-thread" } as const;

const setOptions = () => optionsWith({}, { ttl: w.positiveMs() });

export const cacheTables: MethodTable[] = [
  { method: "get", params: [{ name: "key", valid: EDGE.key, wrong: w.key() }] },
  { method: "getMany", params: [{ name: "keys", valid: [EDGE.key], wrong: w.keyList() }] },
  {
    method: "set",
    params: [
      { name: "key", valid: EDGE.key, wrong: w.key() },
      { name: "value", valid: 1, wrong: [] },
      { name: "options", valid: undefined, wrong: setOptions() },
    ],
  },
  {
    method: "setMany",
    params: [
      {
        name: "entries",
        valid: [{ key: EDGE.key, value: 1 }],
        wrong: [
          ...notAList(),
          ...listOf({ key: EDGE.key, value: 1 }, { key: w.key(), ttl: w.positiveMs() }),
          { value: [null], codes: ["ERR_INVALID_ARGUMENT", "ERR_INVALID_KEY"], label: "[null]" },
          { value: [42], codes: ["ERR_INVALID_ARGUMENT", "ERR_INVALID_KEY"], label: "[42]" },
        ],
      },
    ],
  },
  { method: "delete", params: [{ name: "key", valid: EDGE.key, wrong: w.key() }] },
  { method: "deleteMany", params: [{ name: "keys", valid: [EDGE.key], wrong: w.keyList() }] },
  { method: "has", params: [{ name: "key", valid: EDGE.key, wrong: w.key() }] },
  { method: "ttl", params: [{ name: "key", valid: EDGE.key, wrong: w.key() }] },
  {
    method: "incr",
    params: [
      { name: "key", valid: EDGE.key, wrong: w.key() },
      { name: "by", valid: 1, wrong: w.step() },
      { name: "options", valid: undefined, wrong: setOptions() },
    ],
  },
  {
    method: "add",
    params: [
      { name: "key", valid: EDGE.key, wrong: w.key() },
      { name: "value", valid: 1, wrong: [] },
      { name: "options", valid: undefined, wrong: setOptions() },
    ],
  },
  {
    method: "getOrSet",
    params: [
      { name: "key", valid: EDGE.key, wrong: w.key() },
      { name: "load", valid: () => 1, wrong: w.callback() },
      { name: "options", valid: undefined, wrong: setOptions() },
    ],
  },
  { method: "keys", iterates: true, params: [{ name: "prefix", valid: "", wrong: w.prefix() }] },
];

export const jsonTables: MethodTable[] = [
  {
    method: "get",
    params: [
      { name: "key", valid: EDGE.key, wrong: w.key() },
      { name: "path", valid: "$.a", wrong: w.path() },
    ],
  },
  {
    method: "set",
    params: [
      { name: "key", valid: EDGE.key, wrong: w.key() },
      { name: "path", valid: "$.a", wrong: w.path() },
      { name: "value", valid: 1, wrong: [] },
      { name: "options", valid: undefined, wrong: setOptions() },
    ],
  },
  {
    method: "del",
    params: [
      { name: "key", valid: EDGE.key, wrong: w.key() },
      { name: "path", valid: "$.a", wrong: w.path() },
    ],
  },
];

// waitMs 0 keeps every call that slips through from waiting.
const acquireFields = {
  ttl: w.positiveMs(),
  waitMs: w.nonNegativeMs(),
  retryDelayMs: w.positiveCount(),
  signal: w.signal(),
};

export const lockTables: MethodTable[] = [
  {
    method: "acquire",
    params: [
      { name: "name", valid: EDGE.lock, wrong: w.key() },
      { name: "options", valid: { waitMs: 0 }, wrong: optionsWith({ waitMs: 0 }, acquireFields) },
    ],
  },
  {
    method: "tryAcquire",
    params: [
      { name: "name", valid: EDGE.lock, wrong: w.key() },
      { name: "options", valid: undefined, wrong: optionsWith({}, { ttl: w.positiveMs() }) },
    ],
  },
  {
    method: "withLock",
    params: [
      { name: "name", valid: EDGE.lock, wrong: w.key() },
      { name: "fn", valid: () => 1, wrong: w.callback() },
      {
        name: "options",
        valid: { waitMs: 0 },
        wrong: optionsWith({ waitMs: 0 }, { ...acquireFields, extendEveryMs: w.positiveMs() }),
      },
    ],
  },
  { method: "inspect", params: [{ name: "name", valid: EDGE.lock, wrong: w.key() }] },
];

export const leaseTables: MethodTable[] = [
  { method: "extend", params: [{ name: "ttl", valid: 1000, wrong: w.positiveMs() }] },
];

const checkpointInput = { threadId: EDGE.thread, payload: 1 };
const blob = { channel: "c", version: 1, value: 1 };
const write = { taskId: "task", index: 0, channel: "c", value: 1 };

export const checkpointTables: MethodTable[] = [
  {
    method: "put",
    params: [
      {
        name: "checkpoint",
        valid: checkpointInput,
        wrong: [
          ...notAList().filter((bad) => bad.value !== undefined && typeof bad.value !== "object"),
          ...optionsWith(checkpointInput, {
            threadId: w.key(),
            ns: w.identifier(false, true),
            id: w.identifier(false),
            parentId: w.identifier(false).filter((bad) => bad.value !== null),
            metadata: w.jsonObject(),
            channels: [
              ...w.jsonObject(),
              ...w.version().map((bad) => ({ ...bad, value: { c: bad.value }, label: `{ c: ${bad.label} }` })),
            ],
            blobs: [
              ...notAList().filter((bad) => bad.value !== undefined && bad.value !== null),
              { value: [null], codes: ["ERR_INVALID_ARGUMENT"], label: "[null]" },
              ...listOf(blob, { channel: w.identifier(), version: w.version() }),
            ],
          }),
        ],
      },
      { name: "options", valid: undefined, wrong: setOptions() },
    ],
  },
  {
    method: "get",
    params: [
      { name: "threadId", valid: EDGE.thread, wrong: w.key() },
      {
        name: "options",
        valid: undefined,
        wrong: optionsWith({}, { ns: w.identifier(false, true), id: w.identifier(false) }),
      },
    ],
  },
  ...["list", "listWithState"].map(
    (method): MethodTable => ({
      method,
      iterates: true,
      params: [
        {
          name: "options",
          valid: undefined,
          wrong: optionsWith(
            {},
            {
              threadId: w.key(false),
              ns: w.identifier(false, true),
              before: w.identifier(false),
              limit: w.positiveCount(),
              filter: w.jsonObject(),
            },
          ),
        },
      ],
    }),
  ),
  {
    method: "putWrites",
    params: [
      { name: "threadId", valid: EDGE.thread, wrong: w.key() },
      {
        name: "target",
        valid: { checkpointId: "cp" },
        wrong: [
          ...w.options(),
          { value: undefined, codes: ["ERR_INVALID_ARGUMENT"], label: "undefined" },
          ...optionsWith({ checkpointId: "cp" }, { checkpointId: w.identifier(), ns: w.identifier(false, true) }).slice(
            w.options().length,
          ),
        ],
      },
      {
        name: "writes",
        valid: [write],
        wrong: [
          ...notAList(),
          { value: [null], codes: ["ERR_INVALID_ARGUMENT"], label: "[null]" },
          ...listOf(write, {
            taskId: w.identifier(),
            channel: w.identifier(),
            index: w.index(),
            taskPath: w.jsonObject().filter((bad) => typeof bad.value !== "string"),
          }),
        ],
      },
    ],
  },
  { method: "deleteThread", params: [{ name: "threadId", valid: EDGE.thread, wrong: w.key() }] },
  {
    method: "prune",
    params: [
      { name: "threadId", valid: EDGE.thread, wrong: w.key() },
      {
        name: "options",
        valid: { keepLast: 1 },
        wrong: [
          { value: undefined, codes: ["ERR_INVALID_ARGUMENT"], label: "undefined" },
          ...optionsWith({ keepLast: 1 }, { keepLast: w.requiredCount(), ns: w.identifier(false, true) }),
        ],
      },
    ],
  },
  { method: "countThread", params: [{ name: "threadId", valid: EDGE.thread, wrong: w.key() }] },
];

/** Public methods that take no arguments (nothing to get wrong), or that are not calls into a store. */
export const WITHOUT_ARGUMENTS = new Set([
  "constructor",
  "clear",
  "gc",
  "stats",
  "health",
  "close",
  "assertOpen",
  "release",
  "Symbol(nodejs.asyncDispose)",
  "Symbol(Symbol.asyncDispose)",
]);

/** Every function-valued property of `object` (own and inherited, not Object's). */
export function methodsOf(object: object): string[] {
  const names = new Set<string>();
  for (let proto: object | null = object; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Reflect.ownKeys(proto)) {
      if (typeof (object as Record<PropertyKey, unknown>)[key] === "function") names.add(String(key));
    }
  }
  return [...names];
}

/** Calls `method` of `target` with `args`, draining the result when it is an async iterable. */
export async function callWith(target: object, table: MethodTable, args: unknown[]): Promise<unknown> {
  const fn = (target as Record<string, (...a: unknown[]) => unknown>)[table.method];
  if (typeof fn !== "function") throw new Error(`${table.method} is not a method of this store`);
  const result = fn.apply(target, args);
  return table.iterates ? collect(result as AsyncIterable<unknown>) : result;
}

export type StoreOf = (storage: Storage) => object;
