import { describe, expect, it } from "vitest";
import { contractOf } from "../src/check/contract-of.js";

describe("stowage check's matrix", () => {
  it("puts a test under the contract its groups name, also inside a group of another concern", () => {
    expect(contractOf(["lock"])).toBe("lock");
    expect(contractOf(["checkpoint blobs, writes and deletion"])).toBe("checkpoint");
    expect(contractOf(["crash recovery"])).toBe("durability");
    expect(contractOf(["cache basics"])).toBe("cache");
    expect(contractOf(["checkpoint", "model-based histories"])).toBe("checkpoint");
    expect(contractOf(["identifier fuzz: lock names"])).toBe("lock");
    expect(contractOf(["value edges"])).toBe("cache");
  });
});
