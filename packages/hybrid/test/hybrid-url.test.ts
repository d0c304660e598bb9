import { ConfigError, createStorage, isStowageError, registerAdapter } from "@stowage/core";
import { describe, expect, it } from "vitest";

/** A ConfigError as another copy of core makes it: the same brand, code and field, but not this copy's class. */
function foreignConfigError(field: string, message: string): Error {
  const error = Object.assign(new Error(`${field}: ${message}`), { code: "ERR_CONFIG", field });
  Object.defineProperty(error, Symbol.for("stowage.error"), { value: true });
  return error;
}

describe("hybrid+ URLs through core's registry", () => {
  it("an L2's unknown-parameter ConfigError, from this or another copy of core, names the hybrid's own parameters too", async () => {
    registerAdapter({
      schemes: ["foreigncore"],
      capabilities: { multiProcess: false, survivesCrash: false, sizeLimit: false },
      open: async () => {
        throw foreignConfigError("url.pool", "is not an option of foreigncore:// URLs (allowed: none)");
      },
    });
    for (const url of ["hybrid+foreigncore://x?bus=false&pool=1", "hybrid+memory://?bus=false&pool=1"]) {
      const error = await createStorage(url).then(
        () => undefined,
        (rejected: unknown) => rejected,
      );
      expect(error, url).toBeInstanceOf(ConfigError);
      expect(isStowageError(error, "ERR_CONFIG"), url).toBe(true);
      expect((error as ConfigError).field, url).toBe("url.pool");
      expect((error as Error).message, url).toMatch(
        /is not an option of .*; hybrid\+\w+:\/\/ URLs also take l1MaxEntries, /,
      );
    }
  });

  it("an unknown scheme after hybrid+ is ERR_CONFIG that shows the hybrid form", async () => {
    await expect(createStorage("hybrid+nosuchscheme://x")).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: /after hybrid\+ must come the L2's URL \(hybrid\+<L2 URL>/,
    });
  });

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
