import { describe, expect, it } from "vitest";
import type { Selection } from "../selection.js";
import { useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";

/** With the binary codec, Buffers, Dates, Maps, Sets and BigInts come back as they went in. */
export function cacheCodec(target: ConformanceTarget, selected: Selection): void {
  describe("binary codec (msgpack)", () => {
    const ctx = useStorage(target, { codec: "msgpack" });

    it("Buffer, Date, Map, Set and BigInt round-trip, and every byte value survives the backend", async () => {
      const { cache, checkpoint } = ctx.storage;
      const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const value = {
        bytes: allBytes,
        when: new Date("2026-01-02T03:04:05.678Z"),
        map: new Map<unknown, unknown>([
          ["a", 1],
          [2, { b: true }],
        ]),
        set: new Set(["x", "y"]),
        big: 2n ** 70n,
        small: 7n,
        plain: { nested: [1, "two"] },
      };
      await cache.set("rich", value);
      expect(await cache.get("rich")).toEqual(value);
      await cache.set("bytes", allBytes);
      expect(Buffer.from((await cache.get("bytes")) as Uint8Array)).toEqual(allBytes);
      expect(await cache.incr("counter", 3)).toBe(3);
      expect(await cache.get("counter")).toBe(3);
      if (!selected.checkpoint) return;
      await checkpoint.put({
        threadId: "t",
        payload: value,
        channels: { c: 1 },
        blobs: [{ channel: "c", version: 1, value: allBytes }],
      });
      const loaded = await checkpoint.get("t");
      expect(loaded?.payload).toEqual(value);
      expect(Buffer.from(loaded?.channelValues.c as Uint8Array)).toEqual(allBytes);
    });
  });
}
