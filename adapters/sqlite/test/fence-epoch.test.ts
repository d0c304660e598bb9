import { join } from "node:path";
import { assertFenceEpochsRise } from "@stowage/conformance/testing";
import { describe, it } from "vitest";

describe("sqlite fencing epochs", () => {
  it("tokens rise across acquires, reopens and an OS crash that lost the last commits (no flush per lock operation)", async () => {
    await assertFenceEpochsRise({
      label: "sqlite",
      url: (dir) => `sqlite://${join(dir, "stowage.db")}`,
      files: ["stowage.db", "stowage.db-wal"],
    });
  }, 120_000);
});
