import { isUtf8 } from "node:buffer";
import { type CacheDriver, type EntryUpdate, SerializationError, type StoredEntry, wallNow } from "@stowage/core";
import type { RedisClient } from "./client.js";
import { RedisDriverBase } from "./driver-base.js";
import { cacheCompareAndSet, cacheGet, cacheIncr } from "./scripts/cache-scripts.js";
import { runScript, runScriptBuffer } from "./scripts/lua-script.js";

const SCAN_COUNT = 500;
const DELETE_BATCH = 500;

/** Milliseconds left until `expiresAt` for PX, or null for no expiry; 0 when already past. */
function pxFor(expiresAt: number | null): number | null {
  return expiresAt === null ? null : Math.max(0, expiresAt - wallNow());
}

/** Values up to this size that are valid UTF-8 go to ioredis as text (see commandValue). */
const TEXT_VALUE_BYTES = 4096;

/**
 * The value as ioredis should send it. ioredis writes a command with a Buffer argument by
 * collecting the pieces and copying them into a new Buffer (about 2 µs more per command than
 * plain text); a small value that is valid UTF-8 (every JSON value) goes as text instead, which
 * ioredis encodes back to the same bytes. Larger or binary values stay Buffers.
 */
function commandValue(bytes: Uint8Array): Buffer | string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.byteLength <= TEXT_VALUE_BYTES && isUtf8(buffer) ? buffer.toString("utf8") : buffer;
}

const orUndefined = (value: Buffer | null): Buffer | undefined => value ?? undefined;

/** One namespace of the cache on Redis: one key per entry, expired by Redis itself (PX). */
export class RedisCacheDriver extends RedisDriverBase implements CacheDriver {
  async #read(client: RedisClient, key: string): Promise<StoredEntry | undefined> {
    // The remaining time counts from before the request: an expiry copied from here (a hybrid's L1) never outlives the key.
    const sentAt = wallNow();
    const reply = (await runScriptBuffer(client, cacheGet, [this.layout.cacheKey(key)], [])) as [Buffer, number] | null;
    if (!reply) return undefined;
    const [value, pttl] = reply;
    return { value, expiresAt: pttl >= 0 ? sentAt + pttl : null };
  }

  async #write(client: RedisClient, key: string, entry: StoredEntry): Promise<void> {
    await this.#store(client, key, commandValue(entry.value), entry.expiresAt);
  }

  async #store(client: RedisClient, key: string, value: Buffer | string, expiresAt: number | null): Promise<void> {
    const redisKey = this.layout.cacheKey(key);
    const px = pxFor(expiresAt);
    if (px === null) await client.set(redisKey, value);
    else if (px > 0) await client.set(redisKey, value, "PX", px);
    else await client.del(redisKey);
  }

  get(key: string): Promise<StoredEntry | undefined> {
    return this.run((client) => this.#read(client, key));
  }

  /** A plain GET: the script that also reads PTTL costs the server several times as much. */
  getValue(key: string): Promise<Uint8Array | undefined> {
    const redisKey = this.layout.cacheKey(key);
    return this.run((client) => client.getBuffer(redisKey).then(orUndefined));
  }

  /**
   * The entry's absolute expiry from a plain PTTL: null when it has none, undefined when the key is
   * absent. The hybrid's L2 reader pairs it with getValue instead of the GET+PTTL script.
   */
  expiresAt(key: string): Promise<number | null | undefined> {
    const redisKey = this.layout.cacheKey(key);
    return this.run((client) => {
      const sentAt = wallNow();
      return client.pttl(redisKey).then((ms) => (ms === -2 ? undefined : ms === -1 ? null : sentAt + ms));
    });
  }

  getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    // One command per key: the connection sends them in one write, and on a Cluster they may live on different primaries.
    return this.run((client) => Promise.all(keys.map((key) => this.#read(client, key))));
  }

  set(key: string, entry: StoredEntry): Promise<void> {
    return this.run((client) => this.#write(client, key, entry));
  }

  /**
   * The JSON codec's text as it is: ioredis writes a string argument as its UTF-8 bytes, the same
   * bytes set() stores, without core encoding it and commandValue decoding it again. Long texts
   * stay strings too: ioredis copies a string command once into the socket, a Buffer one twice.
   */
  setText(key: string, text: string, expiresAt: number | null): Promise<void> {
    return this.run((client) => this.#store(client, key, text, expiresAt));
  }

  setMany(entries: readonly { key: string; entry: StoredEntry }[]): Promise<void> {
    return this.run(async (client) => {
      await Promise.all(entries.map(({ key, entry }) => this.#write(client, key, entry)));
    });
  }

  add(key: string, entry: StoredEntry): Promise<boolean> {
    return this.run(async (client) => {
      const px = pxFor(entry.expiresAt);
      const redisKey = this.layout.cacheKey(key);
      // The ttl ran out in flight: nothing to store, but the answer is still whether the key was absent.
      if (px === 0) return (await client.exists(redisKey)) === 0;
      const value = Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength);
      const reply =
        px === null ? await client.set(redisKey, value, "NX") : await client.set(redisKey, value, "PX", px, "NX");
      return reply === "OK";
    });
  }

  delete(key: string): Promise<boolean> {
    return this.run(async (client) => (await client.del(this.layout.cacheKey(key))) > 0);
  }

  deleteMany(keys: readonly string[]): Promise<number> {
    return this.run(async (client) => {
      const removed = await Promise.all([...new Set(keys)].map((key) => client.del(this.layout.cacheKey(key))));
      return removed.reduce((sum, n) => sum + n, 0);
    });
  }

  incr(key: string, by: number, expiresAtIfCreated: number | null): Promise<number> {
    return this.run(async (client) => {
      const px = pxFor(expiresAtIfCreated);
      try {
        const reply = await runScript(
          client,
          cacheIncr,
          [this.layout.cacheKey(key)],
          [String(by), px === null ? "" : String(Math.max(1, px))],
        );
        return Number(reply);
      } catch (error) {
        const message = (error as Error).message ?? "";
        if (message.startsWith("STOWAGE_NOT_INTEGER"))
          throw new SerializationError(`incr on "${key}": ${message.replace(/^STOWAGE_NOT_INTEGER /, "")}`);
        throw error;
      }
    });
  }

  update(key: string, fn: (current: StoredEntry | undefined) => EntryUpdate): Promise<void> {
    return this.run(async (client) => {
      const redisKey = this.layout.cacheKey(key);
      // Optimistic: read, compute, and write only if the bytes are still the ones read; retry otherwise.
      for (let attempt = 0; attempt < 1000; attempt++) {
        const current = await this.#read(client, key);
        const next = fn(current);
        if (next === undefined) return;
        const expected = current ? Buffer.from(current.value) : Buffer.alloc(0);
        let op = "del";
        let value: Buffer = Buffer.alloc(0);
        let px = "";
        if (next !== null) {
          const ms = pxFor(next.expiresAt);
          if (ms === 0) op = "del";
          else {
            op = "set";
            value = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
            // An update that keeps the expiry keeps Redis's own (KEEPTTL): a PX recomputed from a read would move it on by the round trip.
            const kept = current !== undefined && current.expiresAt !== null && next.expiresAt === current.expiresAt;
            px = kept ? "keep" : ms === null ? "" : String(ms);
          }
        }
        const done = await runScript(
          client,
          cacheCompareAndSet,
          [redisKey],
          [current ? "1" : "0", expected, op, value, px],
        );
        if (Number(done) === 1) return;
      }
      throw new Error(`update of "${key}" lost the race 1000 times in a row`);
    });
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const upgrade = this.layout.pendingUpgrade();
    if (upgrade) await upgrade;
    const seen = new Set<string>();
    const match = this.layout.cachePattern(prefix);
    for (const node of this.connection.primaries()) {
      let cursor = "0";
      do {
        const [next, found] = await node.scan(cursor, "MATCH", match, "COUNT", SCAN_COUNT);
        cursor = next;
        for (const redisKey of found) {
          // SCAN may return a key twice; yield each once.
          if (seen.has(redisKey)) continue;
          seen.add(redisKey);
          yield this.layout.cacheKeyName(redisKey);
        }
      } while (cursor !== "0");
    }
  }

  clear(): Promise<void> {
    return this.run(async () => {
      const match = this.layout.cachePattern("");
      await Promise.all(
        this.connection.primaries().map(async (node) => {
          let cursor = "0";
          do {
            const [next, found] = await node.scan(cursor, "MATCH", match, "COUNT", SCAN_COUNT);
            cursor = next;
            for (let i = 0; i < found.length; i += DELETE_BATCH) {
              // One key per UNLINK: keys of one primary may still sit in different slots.
              await Promise.all(found.slice(i, i + DELETE_BATCH).map((redisKey) => node.unlink(redisKey)));
            }
          } while (cursor !== "0");
        }),
      );
    });
  }

  gc(): Promise<number> {
    // Redis expires keys itself (PX); nothing is left to sweep.
    return this.run(async () => 0);
  }

  size(): Promise<{ entries: number; bytes: number }> {
    return this.run(async () => {
      let entries = 0;
      let bytes = 0;
      const match = this.layout.cachePattern("");
      for (const node of this.connection.primaries()) {
        let cursor = "0";
        do {
          const [next, found] = await node.scan(cursor, "MATCH", match, "COUNT", SCAN_COUNT);
          cursor = next;
          const lengths = await Promise.all(found.map((redisKey) => node.strlen(redisKey)));
          entries += found.length;
          bytes += lengths.reduce((sum, n) => sum + n, 0);
        } while (cursor !== "0");
      }
      return { entries, bytes };
    });
  }
}
