import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configFromEnv } from "../src/config/env-config.js";
import { parseSeconds } from "../src/config/params.js";
import { ConfigError } from "../src/errors.js";
import { createStorage } from "../src/storage.js";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

describe("parseSeconds", () => {
  it("reads what the Python predecessor read: whole and decimal seconds, and 0", () => {
    expect(parseSeconds("60", "f")).toBe(60_000);
    expect(parseSeconds("1.5", "f")).toBe(1500);
    expect(parseSeconds(" 0 ", "f")).toBe(0);
    expect(parseSeconds(".25", "f")).toBe(250);
  });

  it("reads units: 500ms, 60s, 5m, 2h, 1d (any case)", () => {
    expect(parseSeconds("500ms", "f")).toBe(500);
    expect(parseSeconds("60s", "f")).toBe(60_000);
    expect(parseSeconds("5m", "f")).toBe(300_000);
    expect(parseSeconds("2H", "f")).toBe(7_200_000);
    expect(parseSeconds("1d", "f")).toBe(86_400_000);
  });

  it("any whole or decimal amount with any unit is its milliseconds, rounded", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 999 }),
        fc.constantFrom(...(Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[]), undefined),
        (whole, thousandths, unit) => {
          const text = `${whole}.${String(thousandths).padStart(3, "0")}${unit ?? ""}`;
          const amount = whole + thousandths / 1000;
          const expected = Math.round(amount * UNIT_MS[unit ?? "s"]);
          if (expected === 0 && amount !== 0) expect(() => parseSeconds(text, "f")).toThrow(/shorter than 1 ms/);
          else expect(parseSeconds(text, "f")).toBe(expected);
        },
      ),
    );
  });

  it("anything that is not a non-negative decimal with an optional unit is ERR_CONFIG naming the field", () => {
    const accepted = /^\s*(\d+(\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$/i;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.constantFrom("-5", "1e3", "0x10", "Infinity", "NaN", "5 minutes", "1..5", "5mm", "", " ", "1,5", "+1"),
        ),
        (text) => {
          fc.pre(!accepted.test(text));
          try {
            parseSeconds(text, "CACHE_DEFAULT_TTL");
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            expect((error as ConfigError).message).toMatch(/^CACHE_DEFAULT_TTL: /);
            return;
          }
          throw new Error(`${JSON.stringify(text)} was accepted`);
        },
      ),
    );
  });

  it("a duration past the safe-integer range is refused, not wrapped", () => {
    expect(() => parseSeconds("9".repeat(30), "f")).toThrow(/f: is too long/);
  });
});

describe("configuration from the environment", () => {
  it("CACHE_DEFAULT_TTL=0 is no expiry, like unset", () => {
    expect(configFromEnv({ CACHE_DEFAULT_TTL: "0" }).cache).not.toHaveProperty("defaultTtl");
    expect(configFromEnv({ CACHE_DEFAULT_TTL: "60s" }).cache).toMatchObject({ defaultTtl: 60_000 });
    expect(configFromEnv({ CACHE_DEFAULT_TTL: "1.5" }).cache).toMatchObject({ defaultTtl: 1500 });
  });

  it("CACHE_CHECKPOINT_TTL=0 is refused, saying that unset is the 7-day default", () => {
    expect(() => configFromEnv({ CACHE_CHECKPOINT_TTL: "0" })).toThrow(
      /CACHE_CHECKPOINT_TTL: must be more than 0 seconds; unset it for the default of 7 days/,
    );
    expect(configFromEnv({ CACHE_CHECKPOINT_TTL: "5m" }).checkpoint).toMatchObject({ defaultTtl: 300_000 });
  });

  it("an empty CACHE_DIR or LOCK_DIR is an error like an empty STOWAGE_URL, never the current directory", () => {
    for (const name of ["CACHE_DIR", "LOCK_DIR", "STOWAGE_URL", "STOWAGE_NAMESPACE", "STOWAGE_LOCAL_BACKEND"]) {
      for (const value of ["", "  "]) {
        expect(() => configFromEnv({ [name]: value })).toThrow(new RegExp(`^${name}: is set but empty$`));
      }
    }
  });

  it("with lmdb the data goes to <dir>/stowage.lmdb/, with sqlite to <dir>/stowage.db, with file to <dir>", () => {
    expect(configFromEnv({ STOWAGE_LOCAL_BACKEND: "lmdb", CACHE_DIR: "/d" }).cache).toEqual({
      url: "lmdb:///d/stowage.lmdb",
    });
    expect(configFromEnv({ CACHE_DIR: "/d" }).cache).toEqual({ url: "sqlite:///d/stowage.db" });
    expect(configFromEnv({ STOWAGE_LOCAL_BACKEND: "file", CACHE_DIR: "/d" }).cache).toEqual({ url: "file:///d" });
  });

  it("a bad namespace names its field once", async () => {
    const opening = createStorage({ url: "memory://", namespace: "no spaces" });
    await expect(opening).rejects.toMatchObject({ code: "ERR_CONFIG" });
    const message = await opening.catch((error: Error) => error.message);
    expect(message).toMatch(/^cache\.namespace must be 1-64 characters/);
    expect(message.match(/cache\.namespace/g)).toHaveLength(1);
  });

  it("a ConfigError whose message does not start with its field is prefixed once", () => {
    expect(new ConfigError("f", "must be x").message).toBe("f: must be x");
    expect(new ConfigError("f", "f must be x").message).toBe("f must be x");
    expect(new ConfigError("f", "fx must be x").message).toBe("f: fx must be x");
  });
});
