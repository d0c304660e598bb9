import { join } from "node:path";
import { createStorage } from "@stowage/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { killAfterAcks, useTempDir } from "./helpers.js";

const ACKED_BEFORE_KILL = 300;

describe("sqlite crash safety", () => {
  const tmp = useTempDir();

  for (const synchronous of ["normal", "full"] as const) {
    it(`a writer SIGKILLed mid-stream loses no acknowledged write (synchronous=${synchronous}), and the file checks clean`, async () => {
      const url = `${tmp.url()}?namespace=crash&synchronous=${synchronous}`;
      const acked = await killAfterAcks("acked-writer.mjs", [url], ACKED_BEFORE_KILL);
      expect(acked.length).toBeGreaterThanOrEqual(ACKED_BEFORE_KILL);
      const db = new Database(join(tmp.path, "stowage.db"));
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      db.close();
      const reopened = await createStorage(url);
      const values = (await reopened.cache.getMany(acked)) as ({ i: number } | undefined)[];
      const missing = acked.filter((key, n) => values[n]?.i !== Number(key.slice("acked:".length)));
      expect(missing).toEqual([]);
      await reopened.close();
    }, 90_000);
  }
});
