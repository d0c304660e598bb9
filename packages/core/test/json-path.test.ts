import { describe, expect, it } from "vitest";
import { deleteAtPath, getAtPath, MAX_PATH_SEGMENTS, parseJsonPath, setAtPath } from "../src/json-path.js";

describe("JSON paths", () => {
  it("parses names, indices and quoted names", () => {
    expect(parseJsonPath("$")).toEqual([]);
    expect(parseJsonPath("$.a.b[0][12]")).toEqual(["a", "b", 0, 12]);
    expect(parseJsonPath(`$["a b"]['c.d']`)).toEqual(["a b", "c.d"]);
  });

  it("refuses __proto__, constructor and prototype however they are written", () => {
    for (const path of ["$.__proto__", '$["constructor"]', "$['prototype']", "$.a.__proto__.b"]) {
      expect(() => parseJsonPath(path)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }));
    }
  });

  it("set copies, never mutates, and does not touch Object.prototype", () => {
    const doc = { a: { b: 1 } };
    const next = setAtPath(doc, ["a", "c"], 2);
    expect(doc).toEqual({ a: { b: 1 } });
    expect(next).toEqual({ a: { b: 1, c: 2 } });
    expect(getAtPath(next, ["a", "c"])).toBe(2);
    expect(getAtPath({}, ["toString"])).toBeUndefined();
  });

  it("set refuses an index past the end and a step into a scalar", () => {
    expect(() => setAtPath({ a: [] }, ["a", 2], 1)).toThrow(/past the end/);
    expect(() => setAtPath({ a: 1 }, ["a", "b"], 1)).toThrow(/non-object/);
  });

  it("delete reports whether anything was removed", () => {
    expect(deleteAtPath({ a: [1, 2] }, ["a", 0])).toEqual([{ a: [2] }, true]);
    expect(deleteAtPath({ a: 1 }, ["b"])).toEqual([{ a: 1 }, false]);
  });
});

describe("JSON path limits", () => {
  it("a path of more than MAX_PATH_SEGMENTS segments is ERR_INVALID_ARGUMENT, refused before it is walked", () => {
    const started = performance.now();
    expect(() => parseJsonPath(`$${".a".repeat(10_000)}`)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    );
    expect(() => parseJsonPath(`$${"[0]".repeat(MAX_PATH_SEGMENTS + 1)}`)).toThrow(/at most 1000 segments/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("set, get and delete work iteratively at MAX_PATH_SEGMENTS segments", () => {
    const segments = parseJsonPath(`$${".a".repeat(MAX_PATH_SEGMENTS)}`);
    const doc = setAtPath(undefined, segments, 7);
    expect(getAtPath(doc, segments)).toBe(7);
    const [emptied, removed] = deleteAtPath(doc, segments);
    expect(removed).toBe(true);
    expect(getAtPath(emptied, segments.slice(0, -1))).toEqual({});
  });
});
