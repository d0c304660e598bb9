import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";

/**
 * How serde output (`[type, bytes]`) is kept in the checkpoint store. "binary" keeps the bytes
 * (the store needs the msgpack codec); "text" keeps JSON-typed values as their text and other
 * bytes as base64, so a store with the JSON codec can hold them.
 */
export type ValueEncoding = "binary" | "text";

/** A serde value as the store keeps it: `[type, bytes]`, `[type, text]` or `[type, base64, "b64"]`. */
export type StoredTyped = [string, Uint8Array] | [string, string] | [string, string, "b64"];

const utf8 = new TextDecoder();

/** Serializes `value` with the saver's serde, in the form the store's codec can hold. */
export async function dumpValue(
  serde: SerializerProtocol,
  value: unknown,
  encoding: ValueEncoding,
): Promise<StoredTyped> {
  const [type, bytes] = await serde.dumpsTyped(value);
  if (encoding === "binary") return [type, bytes];
  if (type === "json") return [type, utf8.decode(bytes)];
  return [type, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"), "b64"];
}

/** Reads a value written by dumpValue (in either encoding). */
export function loadValue(serde: SerializerProtocol, stored: unknown): Promise<unknown> {
  if (!Array.isArray(stored) || typeof stored[0] !== "string") {
    return Promise.reject(new TypeError("a stored LangGraph value is not [type, data]"));
  }
  const [type, data, form] = stored as [string, Uint8Array | string, string?];
  if (form === "b64" && typeof data === "string") return serde.loadsTyped(type, Buffer.from(data, "base64"));
  return serde.loadsTyped(type, data);
}
