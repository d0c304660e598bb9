import { compareChannelVersions, maxChannelVersion } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextChannelVersion } from "../src/channel-versions.js";

describe("channel versions", () => {
  it("a thread the saver starts gets string versions, each greater than the one before in LangGraph's order", () => {
    let current: string | number | undefined;
    const minted: (string | number)[] = [];
    for (let i = 0; i < 200; i++) {
      const next = nextChannelVersion(current);
      expect(typeof next).toBe("string");
      if (current !== undefined) {
        expect(compareChannelVersions(next, current)).toBe(1);
        expect(next > current).toBe(true);
      }
      minted.push(next);
      current = next;
    }
    expect(maxChannelVersion(...minted)).toBe(current);
    expect(nextChannelVersion(undefined)).toMatch(/^0{19}1\.\d{20}$/);
  });

  it("two forks of one checkpoint never mint the same version", () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(10_000), fc.constant(undefined)), (counter) => {
        const current =
          counter === undefined ? undefined : nextChannelVersion(counter === 0 ? undefined : `${counter}`);
        expect(nextChannelVersion(current)).not.toBe(nextChannelVersion(current));
      }),
    );
    expect(nextChannelVersion(7)).not.toBe(nextChannelVersion(7));
  });

  it("a thread with integer versions keeps number versions, ordered and never an integer", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (integer) => {
        const next = nextChannelVersion(integer) as number;
        expect(typeof next).toBe("number");
        expect(Number.isInteger(next)).toBe(false);
        expect(next).toBeGreaterThan(integer);
        expect(next).toBeLessThan(integer + 2);
        const after = nextChannelVersion(next) as number;
        expect(after).toBeGreaterThan(next);
        expect(Math.floor(after)).toBe(integer + 2);
      }),
    );
  });

  it("a longer counter from another saver keeps its width, so string order stays counter order", () => {
    const foreign = `${"0".repeat(31)}9.0.5`;
    const next = nextChannelVersion(foreign) as string;
    expect(next.startsWith(`${"0".repeat(30)}10.`)).toBe(true);
    expect(next > foreign).toBe(true);
    expect(() => nextChannelVersion("not-a-version")).toThrow(/cannot continue/);
  });
});
