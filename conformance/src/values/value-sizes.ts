import { type Codec, DEFAULT_MAX_VALUE_BYTES, jsonCodec, msgpackCodec } from "@stowage/core";
import { describe, expect, it } from "vitest";
import type { Selection } from "../selection.js";
import { collect, expectCode, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

const MiB = 1024 * 1024;
/** The maximum the edge tests ask `open` for: cheap to write at, and one byte over it. */
const EDGE_MAX = MiB;
/** Records of 16 MiB and more take another path in some clients (lmdb-js hands them over differently). */
const LARGE = 16 * MiB;

const PROBE = 70_000;

/**
 * A string whose encoding by `codec` is exactly `bytes` bytes (more than 70,000): the codec's
 * overhead for a long string is measured once on a probe, so the large value is never encoded here.
 */
export function stringEncodingTo(codec: Codec, bytes: number): string {
  if (bytes <= PROBE) throw new Error(`stringEncodingTo builds values of more than ${PROBE} bytes`);
  const overhead = codec.encode("x".repeat(PROBE)).byteLength - PROBE;
  return "x".repeat(bytes - overhead);
}

/** Every accepted value reads back up to the declared maximum; one byte over is ERR_VALUE_TOO_LARGE, nothing written or evicted. */
export function valueSizes(target: ConformanceTarget, selected: Selection): void {
  const declared = target.capabilities.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  const edge = Math.min(EDGE_MAX, declared);

  for (const codecName of ["json", "msgpack"] as const) {
    const codec = codecName === "json" ? jsonCodec : msgpackCodec;
    describe(`value sizes at the maximum (${codecName}, maxValueBytes ${edge})`, () => {
      const ctx = useStorage(target, { maxValueBytes: edge, codec: codecName });

      if (selected.cache)
        it("a cache value of exactly the maximum reads back; one byte over is ERR_VALUE_TOO_LARGE in every write, and nothing is written or evicted", async () => {
          const { cache } = ctx.storage;
          const atMax = stringEncodingTo(codec, edge);
          const over = stringEncodingTo(codec, edge + 1);
          await cache.set("neighbour", "stays");
          await cache.set("max", atMax);
          expect(await cache.get("max")).toBe(atMax);
          expect(await cache.getMany(["max", "neighbour"])).toEqual([atMax, "stays"]);
          expect(await cache.ttl("max")).toBe(Number.POSITIVE_INFINITY);
          await cache.set("doc", { text: "small" });
          await expectCode(cache.set("max", over), "ERR_VALUE_TOO_LARGE");
          await expectCode(cache.set("over", over), "ERR_VALUE_TOO_LARGE");
          await expectCode(cache.add("over", over), "ERR_VALUE_TOO_LARGE");
          await expectCode(
            cache.getOrSet("over", () => over),
            "ERR_VALUE_TOO_LARGE",
          );
          await expectCode(
            cache.setMany([
              { key: "first", value: 1 },
              { key: "over", value: over },
            ]),
            "ERR_VALUE_TOO_LARGE",
          );
          await expectCode(cache.json.set("doc", "$.more", over), "ERR_VALUE_TOO_LARGE");
          expect(await cache.get("max"), "a refused write changed the old value").toBe(atMax);
          expect(await cache.get("doc")).toEqual({ text: "small" });
          expect((await collect(cache.keys())).sort()).toEqual(["doc", "max", "neighbour"]);
        });

      if (selected.checkpoint)
        it("a checkpoint payload, blob and pending write of exactly the maximum read back; one byte over is ERR_VALUE_TOO_LARGE and nothing is written", async () => {
          const { checkpoint } = ctx.storage;
          const atMax = stringEncodingTo(codec, edge);
          const over = stringEncodingTo(codec, edge + 1);
          const { id } = await checkpoint.put({
            threadId: "t",
            payload: atMax,
            channels: { c: 1 },
            blobs: [{ channel: "c", version: 1, value: atMax }],
          });
          await checkpoint.putWrites("t", { checkpointId: id }, [
            { taskId: "task", index: 0, channel: "c", value: atMax },
          ]);
          const loaded = await checkpoint.get("t");
          expect(loaded?.payload).toBe(atMax);
          expect(loaded?.channelValues.c).toBe(atMax);
          expect(loaded?.pendingWrites.map((write) => write.value)).toEqual([atMax]);
          await expectCode(checkpoint.put({ threadId: "t", payload: over }), "ERR_VALUE_TOO_LARGE");
          await expectCode(
            checkpoint.put({
              threadId: "t",
              payload: 1,
              channels: { c: 2 },
              blobs: [{ channel: "c", version: 2, value: over }],
            }),
            "ERR_VALUE_TOO_LARGE",
          );
          await expectCode(
            checkpoint.putWrites("t", { checkpointId: id }, [{ taskId: "task", index: 1, channel: "c", value: over }]),
            "ERR_VALUE_TOO_LARGE",
          );
          expect(await collect(checkpoint.list({ threadId: "t" }))).toHaveLength(1);
          const after = await checkpoint.get("t");
          expect(after?.id).toBe(id);
          expect(after?.pendingWrites).toHaveLength(1);
        });
    });
  }

  describe(`large values (declared maximum ${declared} bytes)`, () => {
    const ctx = useStorage(target);
    const large = Math.min(LARGE, declared);

    it(`a ${large}-byte cache value, checkpoint payload and blob read back with get, getMany, ttl and has`, async () => {
      const { cache, checkpoint } = ctx.storage;
      const value = stringEncodingTo(jsonCodec, large);
      if (selected.cache) {
        await cache.set("large", value);
        // Compared with ===: a failing toBe would print two 16 MiB strings.
        expect((await cache.get("large")) === value, "get").toBe(true);
        expect((await cache.getMany(["large"]))[0] === value, "getMany").toBe(true);
        expect(await cache.ttl("large")).toBe(Number.POSITIVE_INFINITY);
        expect(await cache.has("large")).toBe(true);
        await cache.delete("large");
      }
      if (selected.checkpoint) {
        // One large value per write, as in the cache: a single write of both would be twice the size.
        await checkpoint.put({ threadId: "large", payload: value });
        expect((await checkpoint.get("large"))?.payload === value, "payload").toBe(true);
        await checkpoint.put({
          threadId: "large",
          payload: 1,
          channels: { c: 1 },
          blobs: [{ channel: "c", version: 1, value }],
        });
        expect((await checkpoint.get("large"))?.channelValues.c === value, "blob").toBe(true);
        await checkpoint.deleteThread("large");
      }
    });
  });
}
