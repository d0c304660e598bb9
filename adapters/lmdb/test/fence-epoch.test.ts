import { assertFenceEpochsRise } from "@stowage/conformance/testing";
import { describe, it } from "vitest";

describe("lmdb fencing epochs", () => {
  it("tokens rise across acquires, reopens and an OS crash that lost the last commits (no flush per lock operation)", async () => {
    // The epoch is taken and flushed at an open's first acquire: no crash image predates it after that.
    await assertFenceEpochsRise({
      label: "lmdb",
      url: (dir) => `lmdb://${dir}`,
      files: ["data.mdb"],
      epochAtFirstAcquire: true,
    });
  }, 120_000);
});
