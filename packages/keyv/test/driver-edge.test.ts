import { isStowageError } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { createKeyvStorage } from "../src/index.js";

/** A Map whose every read and write throws, as a Keyv store whose server went away would. */
class BrokenStore extends Map<unknown, unknown> {
  override get(): never {
    throw new Error("connection reset");
  }
  override set(): never {
    throw new Error("connection reset");
  }
  override delete(): never {
    throw new Error("connection reset");
  }
}

// The Keyv cache driver has no error handling of its own: core's driver edge gives these codes.
describe("keyv cache driver behind the driver edge", () => {
  // getMany is left out: Keyv itself reads a Map store's keys one by one and turns their errors into misses.
  it("a store that throws makes every cache call reject with ERR_BACKEND_UNAVAILABLE naming the method", async () => {
    const storage = createKeyvStorage(new BrokenStore());
    const cache = storage.cache;
    const calls: [string, () => Promise<unknown>][] = [
      ["get", () => cache.get("k")],
      ["set", () => cache.set("k", 1)],
      ["add", () => cache.add("k", 1)],
      ["incr", () => cache.incr("n")],
      ["delete", () => cache.delete("k")],
    ];
    for (const [name, call] of calls) {
      const error = await call().then(
        () => undefined,
        (rejected: unknown) => rejected,
      );
      expect(isStowageError(error, "ERR_BACKEND_UNAVAILABLE"), `${name}: ${String(error)}`).toBe(true);
      expect((error as Error).message, name).toMatch(/^keyv \w+ failed: connection reset/);
    }
    await storage.close();
  });

  it("after close every cache call, listing included, rejects with ERR_CLOSED and never reaches the store", async () => {
    let touched = 0;
    const store = new Map<unknown, unknown>();
    const spy = new Proxy(store, {
      get(target, property) {
        touched++;
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const storage = createKeyvStorage(spy);
    await storage.cache.set("k", 1);
    await storage.close();
    touched = 0;
    for (const call of [
      () => storage.cache.get("k"),
      () => storage.cache.set("k", 2),
      () => storage.cache.incr("n"),
      async () => {
        for await (const _ of storage.cache.keys()) {
        }
      },
    ]) {
      const error = await call().then(
        () => undefined,
        (rejected: unknown) => rejected,
      );
      expect(isStowageError(error, "ERR_CLOSED"), String(error)).toBe(true);
    }
    expect(touched).toBe(0);
  });
});
