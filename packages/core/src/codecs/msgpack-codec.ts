import { Packr } from "msgpackr";
import { CorruptDataError, SerializationError } from "../errors.js";
import { assertStoredBytes, type Codec } from "./codec.js";
import { jsonCodec } from "./json-codec.js";

// 0xc1 is the one byte msgpack never uses, so it marks our encoding apart from JSON text
// (counters written by incr are decimal text on every backend, and read back here as JSON).
const MSGPACK_TAG = 0xc1;

// Records (msgpackr's inline object shapes) let plain objects and Maps decode as what they were.
const packr = new Packr({
  useRecords: true,
  moreTypes: true,
  mapsAsObjects: false,
  int64AsType: "bigint",
  useBigIntExtension: true,
});

/** Binary codec (msgpackr): keeps Buffers, Dates, Maps, Sets and BigInts as they were. */
export const msgpackCodec: Codec = {
  name: "msgpack",
  encode(value) {
    if (value === undefined) throw new SerializationError("value is undefined; store null instead");
    try {
      const body = packr.pack(value);
      const out = Buffer.allocUnsafe(body.length + 1);
      out[0] = MSGPACK_TAG;
      body.copy(out, 1);
      return out;
    } catch (error) {
      throw new SerializationError(`the msgpack codec cannot encode this value: ${(error as Error).message}`, {
        cause: error,
      });
    }
  },
  decode(bytes) {
    assertStoredBytes(bytes);
    if (bytes[0] !== MSGPACK_TAG) return jsonCodec.decode(bytes);
    try {
      return packr.unpack(bytes.subarray(1));
    } catch (error) {
      throw new CorruptDataError("the stored value is not valid msgpack", { cause: error });
    }
  },
};
