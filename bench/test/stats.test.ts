import { describe, expect, it } from "vitest";
import { medianRun, percentile, summarize } from "../src/stats.js";

describe("percentile", () => {
  it("interpolates between closest ranks like numpy's default", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBeCloseTo(99.01, 10);
    expect(percentile(hundred, 50)).toBeCloseTo(50.5, 10);
    expect(percentile([10, 20, 30], 25)).toBe(15);
  });

  it("gives the minimum at 0, the maximum at 100 and the value itself for one sample", () => {
    expect(percentile([3, 7, 9], 0)).toBe(3);
    expect(percentile([3, 7, 9], 100)).toBe(9);
    expect(percentile([42], 99)).toBe(42);
  });

  it("is NaN without samples and refuses a percentile outside 0..100", () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe("summarize", () => {
  it("sorts unsorted latencies before taking percentiles", () => {
    const summary = summarize([5, 1, 4, 2, 3], 10);
    expect(summary.p50Ms).toBe(3);
    expect(summary.maxMs).toBe(5);
    expect(summary.meanMs).toBe(3);
  });

  it("uses wall time for throughput when given", () => {
    expect(summarize([1, 1, 1, 1], 2).opsPerSec).toBe(2000);
  });

  it("falls back to 1000 / mean latency for interleaved rows", () => {
    expect(summarize([2, 2, 2, 2]).opsPerSec).toBe(500);
  });
});

describe("medianRun", () => {
  it("reports the median run by throughput, not the best", () => {
    const runs = [{ opsPerSec: 30 }, { opsPerSec: 10 }, { opsPerSec: 20 }];
    expect(medianRun(runs).opsPerSec).toBe(20);
    expect(medianRun([{ opsPerSec: 4 }, { opsPerSec: 1 }, { opsPerSec: 3 }, { opsPerSec: 2 }]).opsPerSec).toBe(2);
    expect(() => medianRun([])).toThrow(RangeError);
  });
});
