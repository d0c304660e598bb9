import {
  FairWaits,
  type LeaseGrant,
  type LockDriver,
  LockStore,
  type QueueState,
  type WaiterQueue,
  type WakeChannel,
  WakeListeners,
  type WakeSource,
  wallNow,
} from "@stowage/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/**
 * The fair-wait protocol against a model backend: one lease and one queue shared by several
 * simulated processes (each its own FairWaits, driver and LockStore), wake-ups through a bus
 * that can drop messages or lose a process. It checks what FairWaits promises whatever the
 * backend: arrival order, no lost hand-off (a dropped wake-up costs a poll), a dead head skipped.
 */
class ModelBackend {
  lease: { token: bigint; expiresAt: number } | undefined;
  counter = 0n;
  places: { waiter: string; since: number; deadline: number }[] = [];
  #arrivals = 0;
  grants: string[] = [];

  head(now: number): string | undefined {
    return this.places.find((place) => place.deadline > now)?.waiter;
  }

  queue(): WaiterQueue {
    return {
      join: (_name, waiter, deadline) => {
        const place = this.places.find((p) => p.waiter === waiter);
        if (place) place.deadline = deadline;
        else this.places.push({ waiter, since: this.#arrivals++, deadline });
      },
      leave: (_name, waiter) => {
        const now = wallNow();
        this.places = this.places.filter((p) => p.waiter !== waiter && p.deadline > now);
      },
      peek: (_name, now): QueueState => ({
        free: !this.lease || this.lease.expiresAt <= now,
        head: this.head(now),
      }),
    };
  }
}

/** Wake-ups between the simulated processes; `drop` loses a message, `dead` marks a process gone. */
class Bus {
  readonly listeners = new Map<string, WakeListeners>();
  readonly dead = new Set<string>();
  drop: () => boolean = () => false;
  sent = 0;

  channel(address: string): WakeChannel {
    const listeners = new WakeListeners();
    this.listeners.set(address, listeners);
    return {
      address,
      ready: async () => {},
      source: (key: string): WakeSource => listeners.source(key),
      send: (to: string, key: string) => {
        if (this.dead.has(to)) return false;
        this.sent++;
        if (!this.drop()) queueMicrotask(() => this.listeners.get(to)?.wake(key));
        return true;
      },
      close: () => {},
    };
  }
}

function processOn(backend: ModelBackend, bus: Bus, address: string): { lock: LockStore; driver: LockDriver } {
  const fair = new FairWaits(backend.queue(), bus.channel(address));
  const driver: LockDriver = {
    async tryAcquire(_name: string, ttlMs: number): Promise<LeaseGrant | undefined> {
      const now = wallNow();
      if (backend.lease && backend.lease.expiresAt > now) return undefined;
      const head = backend.head(now);
      if (head !== undefined && head !== address) return undefined;
      backend.counter++;
      backend.lease = { token: backend.counter, expiresAt: now + ttlMs };
      backend.places = backend.places.filter((p) => p.waiter !== address);
      fair.granted("n");
      backend.grants.push(address);
      return { token: backend.counter };
    },
    async extend() {
      return false;
    },
    async release(_name: string, token: bigint) {
      if (backend.lease?.token !== token) return false;
      backend.lease = undefined;
      await fair.released("n", "k");
      return true;
    },
    async inspect() {
      return backend.lease;
    },
    waitForRelease: (_name, timeoutMs, signal) => fair.wait("n", "k", timeoutMs, signal),
    stopWaiting: () => fair.stopWaiting("n", "k"),
  };
  const lock = new LockStore(
    driver,
    { health: async () => ({ ok: true, backend: "model", latencyMs: 0 }), release: async () => {} },
    { namespace: "t", defaultTtl: 60_000, defaultWaitMs: 20_000, retryDelayMs: 20 },
  );
  return { lock, driver };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("FairWaits over a model backend", () => {
  it("grants follow arrival order and a holder that asks again goes last, whatever wake-ups are lost", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        async (n, lossRate) => {
          const backend = new ModelBackend();
          const bus = new Bus();
          bus.drop = () => Math.random() < lossRate;
          const holder = processOn(backend, bus, "p0");
          const first = await holder.lock.acquire("n");
          const waiters = Array.from({ length: n }, (_, i) => processOn(backend, bus, `p${i + 1}`));
          const granted: Promise<unknown>[] = [];
          for (const waiter of waiters) {
            granted.push(waiter.lock.acquire("n").then((lease) => lease.release()));
            // Each is refused and queued before the next one asks (the model is in process: a few turns).
            await settle();
          }
          const again = holder.lock.acquire("n");
          await settle();
          await first.release();
          await Promise.all(granted);
          await (await again).release();
          expect(backend.grants).toEqual(["p0", ...waiters.map((_, i) => `p${i + 1}`), "p0"]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("a head whose process is gone is skipped at the release, not after its place lapses", async () => {
    const backend = new ModelBackend();
    const bus = new Bus();
    const holder = processOn(backend, bus, "p0");
    const lease = await holder.lock.acquire("n");
    const doomed = processOn(backend, bus, "p1");
    const abandoned = new AbortController();
    const doomedWait = doomed.lock.acquire("n", { signal: abandoned.signal }).catch(() => "gone");
    await settle();
    // The process dies without leaving the queue: its place stays, its channel is gone.
    bus.dead.add("p1");
    const survivor = processOn(backend, bus, "p2");
    // A poll every ~10 s: only the release's skip of the dead head can make this quick.
    const survivorWait = survivor.lock.acquire("n", { retryDelayMs: 10_000 });
    await settle();
    expect(backend.places.map((p) => p.waiter)).toEqual(["p1", "p2"]);
    const started = Date.now();
    await lease.release();
    const next = await survivorWait;
    // Well inside the place's 1 s: the release found p1 dead and woke p2.
    expect(Date.now() - started).toBeLessThan(900);
    expect(backend.places.map((p) => p.waiter)).toEqual([]);
    await next.release();
    abandoned.abort();
    await doomedWait;
  });

  it("a waiter that gives up leaves its place and passes a free name on to the next", async () => {
    const backend = new ModelBackend();
    const bus = new Bus();
    const holder = processOn(backend, bus, "p0");
    const lease = await holder.lock.acquire("n", { ttl: 60_000 });
    const quitter = processOn(backend, bus, "p1");
    const abandoned = new AbortController();
    const quit = quitter.lock.acquire("n", { signal: abandoned.signal }).then(
      () => "granted",
      (error: unknown) => (error as Error).message,
    );
    await settle();
    const patient = processOn(backend, bus, "p2");
    // A poll every ~10 s: only the quitter's hand-on can make this quick.
    const patientWait = patient.lock.acquire("n", { retryDelayMs: 10_000 });
    await settle();
    const started = Date.now();
    // Released with the quitter still first in line: the wake-up goes to it...
    bus.drop = () => true;
    await lease.release();
    bus.drop = () => false;
    // ...and it gives up; its stopWaiting hands the free name to p2 without waiting for p2's poll.
    abandoned.abort(new Error("caller gave up"));
    expect(await quit).toBe("caller gave up");
    const next = await patientWait;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(backend.grants).toEqual(["p0", "p2"]);
    await next.release();
  });
});
