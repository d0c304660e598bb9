import { describe, expect, it } from "vitest";
import { jsonCodec, msgpackCodec, resolveCodec } from "../src/codecs/index.js";

describe("codecs", () => {
  it("the JSON codec writes UTF-8 JSON text readable by any language", () => {
    expect(Buffer.from(jsonCodec.encode({ a: [1, "é"] })).toString("utf8")).toBe('{"a":[1,"é"]}');
  });

  it("the JSON codec refuses what JSON would silently change", () => {
    for (const value of [
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      new Date(),
      new Map(),
      1n,
      () => 1,
      { a: undefined },
    ]) {
      expect(() => jsonCodec.encode(value), String(value)).toThrow(
        expect.objectContaining({ code: "ERR_SERIALIZATION" }),
      );
    }
  });

  it("the JSON codec reports bytes that are not JSON as ERR_CORRUPT_DATA", () => {
    expect(() => jsonCodec.decode(Buffer.from("{not json"))).toThrow(
      expect.objectContaining({ code: "ERR_CORRUPT_DATA" }),
    );
    expect(() => jsonCodec.decode(msgpackCodec.encode({ a: 1 }))).toThrow(
      expect.objectContaining({ code: "ERR_CORRUPT_DATA" }),
    );
  });

  it("the msgpack codec keeps Buffers, Dates, Maps, Sets and BigInts, and reads JSON text too", () => {
    const value = {
      b: Buffer.from([0, 255]),
      d: new Date(5),
      m: new Map([[1, "x"]]),
      s: new Set([1]),
      n: 2n ** 65n,
      o: { k: [1] },
    };
    expect(msgpackCodec.decode(msgpackCodec.encode(value))).toEqual(value);
    expect(msgpackCodec.decode(Buffer.from("42"))).toBe(42);
    expect(() => msgpackCodec.encode(undefined)).toThrow(expect.objectContaining({ code: "ERR_SERIALIZATION" }));
  });

  it("resolveCodec names what is allowed when the codec is unknown", () => {
    expect(resolveCodec(undefined)).toBe(jsonCodec);
    expect(resolveCodec("msgpack")).toBe(msgpackCodec);
    expect(() => resolveCodec("yaml" as never)).toThrow(/codec: must be "json", "msgpack"/);
  });
});
