import { createStorage } from "@stowage/core";
import { describe, expect, it } from "vitest";

describe("hybrid+ URLs through core's registry", () => {
  it("a hybrid nested in a hybrid is ERR_CONFIG, not a module-loading error", async () => {
    for (const url of [
      "hybrid+hybrid+memory://",
      "hybrid+hybrid+redis://127.0.0.1:1",
      "hybrid+hybrid+hybrid+memory://",
    ]) {
      await expect(createStorage(url), url).rejects.toMatchObject({ code: "ERR_CONFIG", message: /nests a hybrid/ });
    }
  });

  it("stats() of a hybrid+… store opened by URL include the tiers: L1 size, stale serves, breaker, write-behind", async () => {
    const storage = await createStorage("hybrid+memory://?bus=false");
    try {
      await storage.cache.set("a", 1);
      await storage.cache.get("a");
      const stats = (await storage.cache.stats()) as unknown as Record<string, unknown>;
      expect(stats).toMatchObject({
        l1Entries: 1,
        staleServes: 0,
        l2Errors: 0,
        breaker: "closed",
        writeBehindConflicts: 0,
      });
      expect(stats.l1Bytes).toBeGreaterThan(0);
    } finally {
      await storage.close();
    }
  });
});
