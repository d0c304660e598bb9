import { JsonPlusSerializer, type SerializerProtocol } from "@langchain/langgraph-checkpoint";
import { isPortableForSaver } from "./portable-json.js";

/**
 * How serde output (`[type, bytes]`) is kept in the checkpoint store. "binary" keeps the bytes
 * (the store needs the msgpack codec); "text" keeps JSON-typed values as their text and other
 * bytes as base64, so a store with the JSON codec can hold them.
 */
export type ValueEncoding = "binary" | "text";

/**
 * A value as the store keeps it: `[type, bytes]`, `[type, text]` or `[type, base64, "b64"]` from
 * serde, or `{ v }` for plain JSON that the default serde would give back unchanged.
 */
export type StoredTyped = [string, Uint8Array] | [string, string] | [string, string, "b64"] | { v: unknown };

/**
 * Plain JSON skips the default serde: its stringify, parse and reviver walk cost more than the
 * store itself on small values, and give back exactly what a portable value was. A custom serde
 * (encryption, another format) always runs.
 */
export function skipsSerde(serde: SerializerProtocol): boolean {
  return Object.getPrototypeOf(serde) === JsonPlusSerializer.prototype;
}

const utf8 = new TextDecoder();

/** A value now, or a promise of it when serde has to run (plain JSON skips serde and its microtasks). */
export type MaybePromise<T> = T | Promise<T>;

/** Serializes `value` with the saver's serde, in the form the store's codec can hold. */
export function dumpValue(
  serde: SerializerProtocol,
  value: unknown,
  encoding: ValueEncoding,
  plainJson: boolean,
): MaybePromise<StoredTyped> {
  if (plainJson && isPortableForSaver(value, true)) return { v: value };
  return serde.dumpsTyped(value).then(([type, bytes]): StoredTyped => {
    if (encoding === "binary") return [type, bytes];
    if (type === "json") return [type, utf8.decode(bytes)];
    return [type, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"), "b64"];
  });
}

/**
 * An array dumped element by element (a list of StoredTyped), so that the store can keep a value
 * that appends to the last one as a delta. Told from `[type, data]` by its first item, never a string.
 */
export function dumpElements(
  serde: SerializerProtocol,
  values: readonly unknown[],
  encoding: ValueEncoding,
  plainJson: boolean,
): MaybePromise<StoredTyped[]> {
  return settleAll(values.map((value) => dumpValue(serde, value, encoding, plainJson))) as MaybePromise<StoredTyped[]>;
}

/** Reads a value written by dumpValue or dumpElements (in either encoding). */
export function loadValue(serde: SerializerProtocol, stored: unknown): MaybePromise<unknown> {
  if (Array.isArray(stored) && (stored.length === 0 || typeof stored[0] !== "string")) {
    return settleAll(stored.map((element) => loadValue(serde, element)));
  }
  if (!Array.isArray(stored)) {
    if (typeof stored === "object" && stored !== null && "v" in stored) return stored.v;
    return Promise.reject(new TypeError("a stored LangGraph value is neither [type, data] nor { v }"));
  }
  if (typeof stored[0] !== "string") return Promise.reject(new TypeError("a stored LangGraph value has no type"));
  const [type, data, form] = stored as [string, Uint8Array | string, string?];
  if (form === "b64" && typeof data === "string") return serde.loadsTyped(type, Buffer.from(data, "base64"));
  return serde.loadsTyped(type, data);
}

/** The values themselves when none is a promise (no microtask), else a promise of them all. */
export function settleAll(values: MaybePromise<unknown>[]): MaybePromise<unknown[]> {
  for (const value of values) if (value instanceof Promise) return Promise.all(values);
  return values;
}
