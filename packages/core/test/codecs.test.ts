import { describe, expect, it } from "vitest";
import { isPortableJson, jsonCodec, msgpackCodec, resolveCodec } from "../src/codecs/index.js";

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

  it("the JSON codec names where the problem is, refuses cycles and accepts a shared object", () => {
    const cyclic: Record<string, unknown> = { a: [1] };
    (cyclic.a as unknown[]).push(cyclic);
    expect(() => jsonCodec.encode(cyclic)).toThrow(/value\.a\[1\] is a circular reference/);
    expect(() => jsonCodec.encode({ list: [{ ok: 1 }, { when: new Date(0) }] })).toThrow(
      /value\.list\[1\]\.when is a Date/,
    );
    expect(() => jsonCodec.encode([1, Number.NaN])).toThrow(/value\[1\] is NaN/);
    const shared = { x: 1 };
    expect(Buffer.from(jsonCodec.encode({ a: shared, b: [shared, shared] })).toString("utf8")).toBe(
      '{"a":{"x":1},"b":[{"x":1},{"x":1}]}',
    );
    expect(Buffer.from(jsonCodec.encode(Object.assign(Object.create(null), { n: null }))).toString("utf8")).toBe(
      '{"n":null}',
    );
  });

  it("isPortableJson says what the codec would take, and refuse turns down more objects", () => {
    expect(isPortableJson({ a: [1, "x", null, true, { b: 2 }] })).toBe(true);
    for (const value of [undefined, Number.NaN, new Date(0), { a: [new Map()] }, () => 1]) {
      expect(isPortableJson(value), String(value)).toBe(false);
    }
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(isPortableJson(cyclic)).toBe(false);
    const marked = { outer: [{ lc: 1, type: "constructor" }] };
    expect(isPortableJson(marked)).toBe(true);
    expect(isPortableJson(marked, (object) => Object.hasOwn(object, "lc"))).toBe(false);
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
