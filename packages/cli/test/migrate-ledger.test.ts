import { Interrupt } from "@stowage/core";
import { MemoryTier } from "@stowage/memory";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { copyCache } from "../src/migrate/copy-cache.js";
import { MigrationLedger } from "../src/migrate/ledger.js";
import { verifyCache } from "../src/migrate/verify.js";

const KEYS = ["k0", "k1", "k2", "k3"];
const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString());
const entry = (value: string) => ({ value: Buffer.from(value), expiresAt: null });
const silent = { tick() {}, setTotal() {}, stop() {} };

type Step = { on: "source" | "target"; key: string; value: string | null } | { on: "migrate"; sourceWins: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    on: fc.constantFrom("source" as const, "target" as const),
    key: fc.constantFrom(...KEYS),
    value: fc.option(fc.constantFrom("a", "b", "c"), { nil: null }),
  }),
  fc.record({ on: fc.constant("migrate" as const), sourceWins: fc.boolean() }),
);

describe("stowage migrate's ledger (property)", () => {
  it("whatever the application and a straggler write between runs, a run never overwrites a target value the migration did not write, converges on every other key, and its verification explains every difference", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const source = new MemoryTier();
        const target = new MemoryTier();
        const ledger = new MigrationLedger(new MemoryTier());
        /** The model: what the migration last wrote (or found equal and noted) per key. */
        const written = new Map<string, string>();
        const interrupt = new Interrupt();
        try {
          for (const s of [...steps, { on: "migrate" as const, sourceWins: false }]) {
            if (s.on !== "migrate") {
              const driver = s.on === "source" ? source : target;
              if (s.value === null) await driver.delete(s.key);
              else await driver.set(s.key, entry(s.value));
              continue;
            }
            const before = new Map<string, string | undefined>();
            for (const key of KEYS) before.set(key, text((await target.get(key))?.value));
            await copyCache(source, target, ledger, {
              dryRun: false,
              batch: 2,
              sourceWins: s.sourceWins,
              progress: silent,
              interrupt,
            });
            for (const key of KEYS) {
              const from = text((await source.get(key))?.value);
              const was = before.get(key);
              const now = text((await target.get(key))?.value);
              if (from === undefined) {
                expect(now, `${key}: the source does not hold it; the target's stays`).toBe(was);
                continue;
              }
              const w = written.get(key);
              const applicationsOwn = was !== from && (w === undefined ? was !== undefined : was !== w);
              if (applicationsOwn && !s.sourceWins) {
                expect(now, `${key}: the application's value (or delete) on the target was overwritten`).toBe(was);
              } else {
                expect(now, `${key}: not the application's, so the source's value is copied`).toBe(from);
                if (was !== from || w === undefined) written.set(key, from);
              }
            }
            const verification = await verifyCache(source, target, ledger, 2);
            expect(verification.match, JSON.stringify(verification)).toBe(true);
          }
        } finally {
          interrupt.dispose();
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("stowage migrate's fencing counters", () => {
  it("a backend that cannot list or raise its counters (redlock://) is refused before anything is copied, naming --only", async () => {
    const { assertFencesMovable } = await import("../src/migrate/copy-fences.js");
    const { MemoryLockDriver } = await import("@stowage/memory");
    const full = new MemoryLockDriver();
    const quorum = {
      tryAcquire: full.tryAcquire.bind(full),
      extend: full.extend.bind(full),
      release: full.release.bind(full),
      inspect: full.inspect.bind(full),
    };
    expect(() => assertFencesMovable(full, quorum, "memory://a", "redlock://h1,h2,h3")).toThrow(
      /--to: redlock:\/\/h1,h2,h3 cannot raise its fencing counters; add --only cache,checkpoint/,
    );
    expect(() => assertFencesMovable(quorum, full, "redlock://h1,h2,h3", "memory://a")).toThrow(
      /--from: .*cannot list/,
    );
    expect(() => assertFencesMovable(full, full, "memory://a", "memory://b")).not.toThrow();
  });
});
