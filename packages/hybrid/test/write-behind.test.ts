import { afterEach, describe, expect, it, vi } from "vitest";
import { type QueuedWrite, WriteBehindQueue } from "../src/cache/write-behind.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("write-behind queue", () => {
  it("a wall clock stepped forward does not stop a sooner replay from being brought forward", async () => {
    // Only the wall clock and the timers are fake: the queue times its replays on the real monotonic clock.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const replayed: [string, QueuedWrite][] = [];
    const queue = new WriteBehindQueue(10, 60_000, async (key, write) => {
      replayed.push([key, write]);
      return undefined;
    });
    queue.put("k", null, undefined);
    queue.schedule(60_000);
    // NTP steps the clock an hour forward; then L2 answers, and the replay is asked for in 10 ms.
    vi.setSystemTime(Date.now() + 3_600_000);
    queue.schedule(10);
    await vi.advanceTimersByTimeAsync(50);
    expect(replayed).toEqual([["k", null]]);
    expect(queue.size).toBe(0);
    queue.close();
  });
});
