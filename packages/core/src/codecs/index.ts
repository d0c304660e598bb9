import { ConfigError } from "../errors.js";
import type { Codec } from "./codec.js";
import { jsonCodec } from "./json-codec.js";
import { msgpackCodec } from "./msgpack-codec.js";

export type { Codec } from "./codec.js";
export { isPortableJson, jsonCodec } from "./json-codec.js";
export { msgpackCodec } from "./msgpack-codec.js";

/** The codec a configuration names, or the Codec object given. */
export function resolveCodec(codec: string | Codec | undefined, field = "codec"): Codec {
  if (codec === undefined || codec === "json") return jsonCodec;
  if (codec === "msgpack") return msgpackCodec;
  if (typeof codec === "object" && typeof codec.encode === "function" && typeof codec.decode === "function") {
    return codec;
  }
  throw new ConfigError(field, `must be "json", "msgpack" or a Codec object, got ${JSON.stringify(codec)}`);
}
