import { createStorage, type Storage } from "@stowage/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStandalone, type TestServer } from "../src/testing/index.js";
import { skipWithoutBinary } from "./servers.js";

/**
 * The cache store hands the JSON codec's text straight to the Redis driver (CacheDriver.setText);
 * the checks core makes on encoded bytes must hold on that path too.
 */
if (!skipWithoutBinary("redis text values")) {
  describe("redis cache values set as text", () => {
    let server: TestServer;
    let storage: Storage;

    beforeAll(async () => {
      server = await startStandalone();
      storage = await createStorage({ url: `${server.url}?maxValueBytes=16`, namespace: "text-values" });
    });
    afterAll(async () => {
      await storage?.close();
      await server?.stop();
    });

    it("maxValueBytes counts UTF-8 bytes of the JSON text: 16 bytes pass, 17 are refused and nothing is written", async () => {
      await storage.cache.set("ascii", "x".repeat(14)); // "xxxxxxxxxxxxxx" is 16 bytes
      expect(await storage.cache.get("ascii")).toBe("x".repeat(14));
      await expect(storage.cache.set("ascii", "x".repeat(15))).rejects.toMatchObject({ code: "ERR_VALUE_TOO_LARGE" });
      expect(await storage.cache.get("ascii")).toBe("x".repeat(14));
      await storage.cache.set("accents", "é".repeat(7)); // 2 quotes + 7 × 2 bytes = 16
      expect(await storage.cache.get("accents")).toBe("é".repeat(7));
      await expect(storage.cache.set("accents", "é".repeat(8))).rejects.toMatchObject({ code: "ERR_VALUE_TOO_LARGE" });
      expect(await storage.cache.get("accents")).toBe("é".repeat(7));
    });

    it("a value JSON would change is refused before anything is written", async () => {
      await expect(storage.cache.set("date", { at: new Date(0) })).rejects.toMatchObject({ code: "ERR_SERIALIZATION" });
      await expect(storage.cache.set("nan", Number.NaN)).rejects.toMatchObject({ code: "ERR_SERIALIZATION" });
      expect(await storage.cache.has("date")).toBe(false);
      expect(await storage.cache.has("nan")).toBe(false);
    });

    it("a lone surrogate comes back as it went in (JSON.stringify escapes it, so the text is valid UTF-8)", async () => {
      await storage.cache.set("surrogate", "a\ud800");
      expect(await storage.cache.get("surrogate")).toBe("a\ud800");
    });
  });
}
