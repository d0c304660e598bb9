import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DriverEdge, wrapDriver } from "../src/drivers/driver-edge.js";
import { BackendUnavailableError, InvalidKeyError, isStowageError, StowageError } from "../src/errors.js";

class FakeDriver {
  readonly #values = new Map<string, string>();
  failWith: unknown;
  calls = 0;

  get size(): number {
    return this.#values.size;
  }

  getSync(key: string): string | undefined {
    this.calls++;
    if (this.failWith !== undefined) throw this.failWith;
    return this.#values.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.calls++;
    if (this.failWith !== undefined) throw this.failWith;
    this.#values.set(key, value);
  }

  /** Not async, returns a promise: the edge learns it rejects rather than throws. */
  get(key: string): Promise<string | undefined> {
    this.calls++;
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    return Promise.resolve(this.#values.get(key));
  }

  /** Calls its own public method: the inner call skips the edge. */
  async copy(from: string, to: string): Promise<void> {
    const value = await this.get(from);
    if (value !== undefined) await this.set(to, value);
  }

  async *keys(): AsyncIterable<string> {
    for (const key of [...this.#values.keys()]) {
      if (this.failWith !== undefined) throw this.failWith;
      yield key;
    }
  }
}

class SubDriver extends FakeDriver {
  async inherited(): Promise<number> {
    return this.size;
  }
}

function edgeFor(state: { closed: boolean }, classified: { method: string; error: unknown }[] = []): DriverEdge {
  return {
    label: "fake backend",
    isClosed: () => state.closed,
    classify: (error, method) => {
      classified.push({ method, error });
      return new BackendUnavailableError(`fake ${method}: ${String(error)}`, { cause: error });
    },
  };
}

describe("wrapDriver", () => {
  it("a closed backend fails every method with ERR_CLOSED before the driver runs: sync ones throw, async ones reject", async () => {
    const state = { closed: false };
    const raw = new SubDriver();
    const driver = wrapDriver(raw, edgeFor(state));
    await driver.get("k"); // learnt: get returns a promise
    state.closed = true;
    expect(() => driver.getSync("k")).toThrow(expect.objectContaining({ code: "ERR_CLOSED" }));
    await expect(driver.set("k", "v")).rejects.toMatchObject({ code: "ERR_CLOSED" });
    await expect(driver.get("k")).rejects.toMatchObject({ code: "ERR_CLOSED" });
    await expect(driver.inherited()).rejects.toMatchObject({ code: "ERR_CLOSED" });
    expect(() => driver.keys()).toThrow(expect.objectContaining({ code: "ERR_CLOSED" }));
    expect(raw.calls).toBe(1);
  });

  it("a backend error becomes the classifier's StowageError, named by the method, thrown or rejected as the method does", async () => {
    const classified: { method: string; error: unknown }[] = [];
    const raw = new FakeDriver();
    const driver = wrapDriver(raw, edgeFor({ closed: false }, classified));
    const failure = new Error("EIO");
    raw.failWith = failure;
    expect(() => driver.getSync("k")).toThrow(expect.objectContaining({ code: "ERR_BACKEND_UNAVAILABLE" }));
    await expect(driver.set("k", "v")).rejects.toMatchObject({ code: "ERR_BACKEND_UNAVAILABLE" });
    await expect(driver.get("k")).rejects.toMatchObject({ code: "ERR_BACKEND_UNAVAILABLE" });
    expect(classified.map(({ method }) => method)).toEqual(["getSync", "set", "get"]);
    expect(classified.every(({ error }) => error === failure)).toBe(true);
  });

  it("a StowageError and an AbortError pass through unchanged, never reclassified", async () => {
    const classified: { method: string; error: unknown }[] = [];
    const raw = new FakeDriver();
    const driver = wrapDriver(raw, edgeFor({ closed: false }, classified));
    const invalid = new InvalidKeyError("bad key");
    raw.failWith = invalid;
    expect(() => driver.getSync("k")).toThrow(invalid);
    await expect(driver.get("k")).rejects.toBe(invalid);
    const abort = new DOMException("stop", "AbortError");
    raw.failWith = abort;
    await expect(driver.set("k", "v")).rejects.toBe(abort);
    expect(classified).toEqual([]);
  });

  it("the reason of a signal the caller passed and aborted comes back as itself, whatever value it is", async () => {
    const classified: { method: string; error: unknown }[] = [];
    const waiter = {
      async wait(_name: string, signal: AbortSignal): Promise<void> {
        throw signal.reason;
      },
      waitSync(_name: string, signal: AbortSignal): void {
        throw signal.reason;
      },
    };
    const driver = wrapDriver(waiter, edgeFor({ closed: false }, classified));
    for (const reason of [new Error("caller gave up"), "a string", 42]) {
      const controller = new AbortController();
      controller.abort(reason);
      await expect(driver.wait("n", controller.signal)).rejects.toBe(reason);
      expect(() => driver.waitSync("n", controller.signal)).toThrow();
    }
    expect(classified).toEqual([]);
    // The same value thrown while the signal is not aborted is a backend failure like any other.
    const live = new AbortController();
    await expect(driver.wait("n", live.signal)).rejects.toMatchObject({ code: "ERR_BACKEND_UNAVAILABLE" });
  });

  it("a sync method stays sync: it returns its value, not a promise", () => {
    const driver = wrapDriver(new FakeDriver(), edgeFor({ closed: false }));
    expect(driver.getSync("absent")).toBeUndefined();
    expect(driver.size).toBe(0);
  });

  it("accessors and internal calls run on the driver, so #private state and this.method() work", async () => {
    const raw = new FakeDriver();
    const driver = wrapDriver(raw, edgeFor({ closed: false }));
    await driver.set("a", "1");
    await driver.copy("a", "b");
    expect(driver.size).toBe(2);
    expect(driver).toBeInstanceOf(FakeDriver);
  });

  it("an error while iterating is mapped, and a backend closed between two items ends the iteration with ERR_CLOSED", async () => {
    const state = { closed: false };
    const raw = new FakeDriver();
    const driver = wrapDriver(raw, edgeFor(state));
    for (const key of ["a", "b", "c"]) await driver.set(key, key);
    const seen: string[] = [];
    const run = async () => {
      for await (const key of driver.keys()) {
        seen.push(key);
        state.closed = true;
      }
    };
    await expect(run()).rejects.toMatchObject({ code: "ERR_CLOSED" });
    expect(seen).toEqual(["a"]);
    state.closed = false;
    raw.failWith = new Error("EIO");
    const failing = async () => {
      for await (const _ of driver.keys()) void _;
    };
    await expect(failing()).rejects.toMatchObject({ code: "ERR_BACKEND_UNAVAILABLE" });
  });

  it("a failure after close is ERR_CLOSED, not a backend error (the backend let go mid-call)", async () => {
    const state = { closed: false };
    const raw = new FakeDriver();
    raw.get = () => {
      state.closed = true;
      return Promise.reject(new Error("database connection is not open"));
    };
    const driver = wrapDriver(raw, edgeFor(state));
    await expect(driver.get("k")).rejects.toMatchObject({ code: "ERR_CLOSED" });
  });

  it("an edge without a classifier only checks open: the method's own promise comes back, and ERR_CLOSED after close", async () => {
    const state = { closed: false };
    const raw = new FakeDriver();
    const pending = Promise.resolve("v");
    raw.get = () => pending;
    const driver = wrapDriver(raw, { label: "fake backend", isClosed: () => state.closed });
    expect(driver.get("k")).toBe(pending);
    expect(driver.getSync("k")).toBeUndefined();
    state.closed = true;
    await expect(driver.set("k", "v")).rejects.toMatchObject({ code: "ERR_CLOSED" });
    expect(() => driver.getSync("k")).toThrow(expect.objectContaining({ code: "ERR_CLOSED" }));
  });

  it("whatever a driver throws (any value at all) reaches the caller as a StowageError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (thrown) => {
        const raw = new FakeDriver();
        raw.failWith = thrown ?? null;
        const driver = wrapDriver(raw, edgeFor({ closed: false }));
        let syncError: unknown;
        try {
          driver.getSync("k");
        } catch (error) {
          syncError = error;
        }
        const asyncError = await driver.set("k", "v").then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isStowageError(syncError)).toBe(true);
        expect(isStowageError(asyncError)).toBe(true);
      }),
    );
  });
});

describe("the StowageError brand", () => {
  it("an error made by a second copy of core is a StowageError to this one, and the edge passes it through", async () => {
    const url = new URL("../dist/errors.js", import.meta.url);
    url.search = `?copy=${Math.random()}`;
    const other = (await import(url.href)) as typeof import("../src/errors.js");
    expect(other.StowageError).not.toBe(StowageError);
    const foreign = new other.LockLostError("job", "expired");
    expect(foreign instanceof StowageError).toBe(true);
    expect(isStowageError(foreign, "ERR_LOCK_LOST")).toBe(true);
    expect(isStowageError(foreign, "ERR_CLOSED")).toBe(false);
    expect(other.isStowageError(new InvalidKeyError("x"))).toBe(true);
    const raw = new FakeDriver();
    raw.failWith = foreign;
    const classified: { method: string; error: unknown }[] = [];
    const driver = wrapDriver(raw, edgeFor({ closed: false }, classified));
    await expect(driver.set("k", "v")).rejects.toBe(foreign);
    expect(classified).toEqual([]);
  });

  it("a subclass check stays exact, and look-alikes without the brand are not StowageErrors", () => {
    expect(new InvalidKeyError("x") instanceof BackendUnavailableError).toBe(false);
    expect(new BackendUnavailableError("x") instanceof BackendUnavailableError).toBe(true);
    const lookAlike = Object.assign(new Error("x"), { code: "ERR_CLOSED", name: "StowageError" });
    expect(isStowageError(lookAlike)).toBe(false);
    expect(lookAlike instanceof StowageError).toBe(false);
    expect(isStowageError(null)).toBe(false);
    expect(isStowageError("ERR_CLOSED")).toBe(false);
  });
});
