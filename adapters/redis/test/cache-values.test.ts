import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RedisBackend } from "../src/backend.js";
import type { RedisCacheDriver } from "../src/cache.js";
import { adapter } from "../src/index.js";
import { startStandalone, type TestServer } from "../src/testing/index.js";
import { skipWithoutBinary } from "./servers.js";

/** Byte strings the cache must give back exactly, whether they go to ioredis as text or as a Buffer. */
const VALUES: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  ascii: Buffer.from('{"a":1}'),
  "multi-byte UTF-8": Buffer.from("zürich – 東京 – 🦊"),
  "UTF-8 with a byte-order mark": Buffer.from([0xef, 0xbb, 0xbf, 0x41]),
  "NUL and control bytes": Buffer.from([0x00, 0x01, 0x1b, 0x7f, 0x00]),
  "invalid UTF-8 (lone continuation byte)": Buffer.from([0x41, 0x80, 0x42]),
  "invalid UTF-8 (encoded surrogate)": Buffer.from([0xed, 0xa0, 0x80]),
  "msgpack-like binary": Buffer.from([0xc1, 0xa3, 0x61, 0x62, 0x63, 0xff]),
  "text at the 4096-byte edge": Buffer.from("é".repeat(2048)),
  "text past the edge": Buffer.from("x".repeat(4097)),
  "a view into a larger buffer": Buffer.from("--payload--").subarray(2, 9),
};

/** Texts setText must store as exactly their UTF-8 bytes (the bytes set() stores for the same value). */
const TEXTS: Record<string, string> = {
  empty: "",
  ascii: '{"a":1}',
  "multi-byte": JSON.stringify("zürich – 東京 – 🦊"),
  "an escaped lone surrogate": JSON.stringify("a\ud800b"),
  "NUL escaped by JSON": JSON.stringify("\u0000x"),
  "1365 three-byte characters (4095 bytes)": "東".repeat(1365),
  "1366 three-byte characters (4098 bytes, goes as a Buffer)": "東".repeat(1366),
  "4096 one-byte characters": "y".repeat(4096),
  "4097 one-byte characters": "y".repeat(4097),
};

if (!skipWithoutBinary("redis cache values")) {
  describe("redis cache values", () => {
    let server: TestServer;
    let backend: RedisBackend;

    beforeAll(async () => {
      server = await startStandalone();
      backend = (await adapter.open({
        url: new URL(server.url),
        params: new URLSearchParams(),
        options: {},
      })) as RedisBackend;
    });
    afterAll(async () => {
      await backend?.close();
      await server?.stop();
    });

    for (const [name, bytes] of Object.entries(VALUES)) {
      it(`gives back the exact bytes: ${name}`, async () => {
        const driver = backend.cache("values");
        await driver.set(name, { value: bytes, expiresAt: null });
        await driver.setMany([{ key: `${name}:many`, entry: { value: bytes, expiresAt: Date.now() + 60_000 } }]);
        expect(Buffer.from((await driver.getValue?.(name)) ?? [1])).toEqual(Buffer.from(bytes));
        expect(Buffer.from((await driver.get(`${name}:many`))?.value ?? [1])).toEqual(Buffer.from(bytes));
      });
    }

    for (const [name, text] of Object.entries(TEXTS)) {
      it(`setText stores the text's UTF-8 bytes, as set() does: ${name}`, async () => {
        const driver = backend.cache("texts");
        if (!driver.setText) throw new Error("the Redis cache driver has no setText");
        await driver.setText(`${name}:text`, text, null);
        await driver.setText(`${name}:ttl`, text, Date.now() + 60_000);
        await driver.set(`${name}:bytes`, { value: Buffer.from(text, "utf8"), expiresAt: null });
        const expected = Buffer.from(text, "utf8");
        expect(Buffer.from((await driver.getValue?.(`${name}:text`)) ?? [1])).toEqual(expected);
        expect(Buffer.from((await driver.getValue?.(`${name}:bytes`)) ?? [1])).toEqual(expected);
        const withTtl = await driver.get(`${name}:ttl`);
        expect(Buffer.from(withTtl?.value ?? [1])).toEqual(expected);
        expect(withTtl?.expiresAt).toBeGreaterThan(Date.now());
      });
    }

    it("setText with an expiry already past stores nothing and removes the old value", async () => {
      const driver = backend.cache("texts");
      await driver.setText?.("past", '"old"', null);
      await driver.setText?.("past", '"new"', Date.now() - 1);
      expect(await driver.getValue?.("past")).toBeUndefined();
    });

    it("expiresAt (the hybrid's L2 read) is undefined for an absent key, null without a ttl, and the entry's expiry with one", async () => {
      const driver = backend.cache("expiry") as RedisCacheDriver;
      await driver.set("forever", { value: Buffer.from("1"), expiresAt: null });
      const expiresAt = Date.now() + 60_000;
      await driver.set("minute", { value: Buffer.from("2"), expiresAt });
      expect(await driver.expiresAt("absent")).toBeUndefined();
      expect(await driver.expiresAt("forever")).toBeNull();
      const read = await driver.expiresAt("minute");
      // PTTL has millisecond resolution, time passes between the set and the read, and redis-server
      // times commands with a clock it caches per event-loop turn (stale by some ms on a loaded machine).
      expect(read).toBeGreaterThan(expiresAt - 5_000);
      expect(read).toBeLessThanOrEqual(expiresAt + 100);
      await driver.delete("minute");
      expect(await driver.expiresAt("minute")).toBeUndefined();
    });
  });
}
