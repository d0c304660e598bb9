import type { Storage } from "@stowage/core";
import { describe, expect, it } from "vitest";
import type { Selection } from "../selection.js";
import { collect, expectCode, useStorage } from "../support.js";
import type { ConformanceTarget } from "../target.js";
import { REFUSED } from "./identifier-cases.js";

/** Every call that takes an identifier, with `bad` in that one field and valid values elsewhere. */
function callsWith(storage: Storage, bad: string): [string, () => Promise<unknown>][] {
  const { cache, lock, checkpoint } = storage;
  const id = "1ef00000-0000-6000-8000-000000000001";
  return [
    ["cache.get key", () => cache.get(bad)],
    ["cache.set key", () => cache.set(bad, 1)],
    ["cache.getMany key", () => cache.getMany(["ok", bad])],
    [
      "cache.setMany key",
      () =>
        cache.setMany([
          { key: "ok", value: 1 },
          { key: bad, value: 1 },
        ]),
    ],
    ["cache.deleteMany key", () => cache.deleteMany(["ok", bad])],
    ["cache.incr key", () => cache.incr(bad)],
    ["cache.add key", () => cache.add(bad, 1)],
    ["cache.json.set key", () => cache.json.set(bad, "$", {})],
    ["cache.keys prefix", () => collect(cache.keys(bad))],
    ["lock.tryAcquire name", () => lock.tryAcquire(bad, { ttl: 1_000 })],
    ["lock.acquire name", () => lock.acquire(bad, { ttl: 1_000, waitMs: 10 })],
    ["checkpoint.put threadId", () => checkpoint.put({ threadId: bad, id, payload: 1 })],
    ["checkpoint.put ns", () => checkpoint.put({ threadId: "t", ns: bad, id, payload: 1 })],
    ["checkpoint.put id", () => checkpoint.put({ threadId: "t", id: bad, payload: 1 })],
    ["checkpoint.put parentId", () => checkpoint.put({ threadId: "t", id, parentId: bad, payload: 1 })],
    ["checkpoint.put channel name", () => checkpoint.put({ threadId: "t", id, payload: 1, channels: { [bad]: 1 } })],
    ["checkpoint.put channel version", () => checkpoint.put({ threadId: "t", id, payload: 1, channels: { c: bad } })],
    [
      "checkpoint.put blob channel",
      () => checkpoint.put({ threadId: "t", id, payload: 1, blobs: [{ channel: bad, version: 1, value: 1 }] }),
    ],
    [
      "checkpoint.put blob version",
      () => checkpoint.put({ threadId: "t", id, payload: 1, blobs: [{ channel: "c", version: bad, value: 1 }] }),
    ],
    ["checkpoint.get threadId", () => checkpoint.get(bad)],
    ["checkpoint.get ns", () => checkpoint.get("t", { ns: bad })],
    ["checkpoint.get id", () => checkpoint.get("t", { id: bad })],
    ["checkpoint.list threadId", () => collect(checkpoint.list({ threadId: bad }))],
    ["checkpoint.list ns", () => collect(checkpoint.list({ ns: bad }))],
    ["checkpoint.list before", () => collect(checkpoint.list({ before: bad }))],
    ["checkpoint.putWrites threadId", () => checkpoint.putWrites(bad, { checkpointId: id }, [write("k", "c")])],
    ["checkpoint.putWrites ns", () => checkpoint.putWrites("t", { ns: bad, checkpointId: id }, [write("k", "c")])],
    ["checkpoint.putWrites checkpointId", () => checkpoint.putWrites("t", { checkpointId: bad }, [write("k", "c")])],
    ["checkpoint.putWrites taskId", () => checkpoint.putWrites("t", { checkpointId: id }, [write(bad, "c")])],
    ["checkpoint.putWrites channel", () => checkpoint.putWrites("t", { checkpointId: id }, [write("k", bad)])],
    ["checkpoint.deleteThread threadId", () => checkpoint.deleteThread(bad)],
    ["checkpoint.prune threadId", () => checkpoint.prune(bad, { keepLast: 1 })],
    ["checkpoint.prune ns", () => checkpoint.prune("t", { keepLast: 1, ns: bad })],
    ["checkpoint.countThread threadId", () => checkpoint.countThread(bad)],
  ];
}

const write = (taskId: string, channel: string) => ({ taskId, index: 0, channel, value: 1 });

/** One rule for every identifier of every contract, with one code on every backend, before any I/O. */
export function identifierRefusal(target: ConformanceTarget, selected: Selection): void {
  describe("identifiers: one refusal rule", () => {
    const ctx = useStorage(target);

    for (const { name, value } of [...REFUSED, { name: "an empty string", value: "" }]) {
      it(`${name} is ERR_INVALID_KEY in every identifier field, and nothing is written`, async () => {
        const { storage } = ctx;
        for (const [field, call] of callsWith(storage, value)) {
          if (!selected[field.slice(0, field.indexOf(".")) as keyof Selection]) continue;
          // The empty string is a valid prefix of keys() and ns of a checkpoint; everything else is refused.
          if (value === "" && / (prefix|ns)$/.test(field)) continue;
          try {
            await expectCode(call, "ERR_INVALID_KEY");
          } catch (error) {
            throw new Error(`${field}: ${(error as Error).message}`, { cause: error });
          }
        }
        if (selected.cache) expect(await collect(storage.cache.keys())).toEqual([]);
        if (selected.checkpoint) {
          expect(await collect(storage.checkpoint.list())).toEqual([]);
          expect(await storage.checkpoint.countThread("t")).toBe(0);
        }
      });
    }
  });
}
