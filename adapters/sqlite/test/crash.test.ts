import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createStorage } from "@stowage/core";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { fixture, useTempDir } from "./helpers.js";

const ACKED_BEFORE_KILL = 300;

/** Starts the writer, SIGKILLs it once it has acknowledged enough writes, and returns every key it acknowledged. */
function killWriterMidStream(url: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture("acked-writer.mjs"), url], { stdio: ["ignore", "pipe", "inherit"] });
    const acked: string[] = [];
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`writer acknowledged only ${acked.length} writes in 60 s`));
    }, 60_000);
    createInterface({ input: child.stdout }).on("line", (key) => {
      acked.push(key);
      if (acked.length === ACKED_BEFORE_KILL) child.kill("SIGKILL");
    });
    child.once("exit", (_code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`writer exited without being killed (${signal ?? _code})`));
    });
  });
}

describe("sqlite crash safety", () => {
  const tmp = useTempDir();

  for (const synchronous of ["normal", "full"] as const) {
    it(`a writer SIGKILLed mid-stream loses no acknowledged write (synchronous=${synchronous}), and the file checks clean`, async () => {
      const url = `${tmp.url()}?namespace=crash&synchronous=${synchronous}`;
      const acked = await killWriterMidStream(url);
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
