import { ReleaseSignal, sleepUntilWoken } from "@stowage/core";
import { describe, expect, it } from "vitest";

describe("release signal", () => {
  it("a release of the key wakes its waiter long before the wait's bound", async () => {
    const released = new ReleaseSignal();
    const waiting = released.wait("a", 60_000);
    released.notify("a");
    await expect(waiting).resolves.toBe(true);
  });

  it("a release of another key wakes nobody: the wait runs to its bound and says it was not woken", async () => {
    const released = new ReleaseSignal();
    const waiting = released.wait("a", 20);
    released.notify("b");
    await expect(waiting).resolves.toBe(false);
  });

  it("the caller's abort rejects with its own reason, and a wake after it changes nothing", async () => {
    const released = new ReleaseSignal();
    const controller = new AbortController();
    const waiting = released.wait("a", 60_000, controller.signal);
    controller.abort(new Error("caller gave up"));
    released.notify("a");
    await expect(waiting).rejects.toThrow("caller gave up");
  });

  it("an already aborted signal rejects before subscribing to any source", async () => {
    let subscribed = 0;
    const source = () => {
      subscribed++;
      return () => {};
    };
    await expect(sleepUntilWoken(60_000, AbortSignal.abort(new Error("gone")), source)).rejects.toThrow("gone");
    expect(subscribed).toBe(0);
  });

  it("every source is unsubscribed however the wait ends, so waits leave no listener behind", async () => {
    const live = new Set<number>();
    const source = (id: number) => () => {
      live.add(id);
      return () => live.delete(id);
    };
    let wakeFirst!: () => void;
    const woken = sleepUntilWoken(
      60_000,
      undefined,
      (wake) => {
        wakeFirst = wake;
        return () => {};
      },
      source(1),
      source(2),
    );
    expect([...live]).toEqual([1, 2]);
    wakeFirst();
    await expect(woken).resolves.toBe(true);
    expect(live.size).toBe(0);
    await sleepUntilWoken(5, undefined, source(3));
    expect(live.size).toBe(0);
  });
});
