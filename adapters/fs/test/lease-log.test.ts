import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FsBackend } from "../src/backend.js";
import { LeaseLog } from "../src/lease-log.js";
import { type Child, startFixture } from "./child-process.js";

const root = mkdtempSync(join(tmpdir(), "stowage-fs-lease-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const released = join(root, "released");
const logAt = (dir: string) => new LeaseLog(dir, released);
const freshLog = () => logAt(join(root, `log-${++dirs}`));

describe("lease log (the compare-and-swap under every fs lock)", () => {
  it("of two takers that both saw the same expired lease, exactly one wins", () => {
    const a = freshLog();
    const b = logAt(a.dir);
    expect(a.write(a.read(), 1n, Date.now() - 1)).toBe(true);
    const seenByA = a.read();
    const seenByB = b.read();
    expect(seenByA.expiresAt).toBeLessThan(Date.now());
    // proper-lockfile's rmdir+mkdir lets both through here; the log lets only the first.
    expect(b.write(seenByB, seenByB.token + 1n, Date.now() + 10_000)).toBe(true);
    expect(a.write(seenByA, seenByA.token + 1n, Date.now() + 10_000)).toBe(false);
    expect(a.read().token).toBe(2n);
  });

  it("a slow process cannot re-create a removed entry and take a lease someone else holds", () => {
    const slow = freshLog();
    const fast = logAt(slow.dir);
    expect(slow.write(slow.read(), 1n, 0)).toBe(true);
    const stale = slow.read();
    // Meanwhile others take and release the lease several times; old entries are removed.
    for (let i = 0; i < 3; i++) {
      const state = fast.read();
      expect(fast.write(state, state.token + 1n, Date.now() + 10_000)).toBe(true);
      const held = fast.read();
      expect(fast.write(held, held.token, 0)).toBe(true);
    }
    const holder = fast.read();
    expect(fast.write(holder, holder.token + 1n, Date.now() + 10_000)).toBe(true);
    expect(readdirSync(slow.dir)).not.toContain(String(stale.seq + 1));
    // The slow process acts on what it read long ago: the entry it creates is not the newest.
    expect(slow.write(stale, stale.token + 1n, Date.now() + 10_000)).toBe(false);
    expect(slow.read().token).toBe(holder.token + 1n);
    expect(readdirSync(slow.dir)).toHaveLength(1);
  });

  it("the sequence (the fencing token's source) keeps rising while old entries are removed", () => {
    const log = freshLog();
    let last = 0;
    for (let i = 1; i <= 50; i++) {
      const state = log.read();
      expect(state.seq).toBeGreaterThan(last === 0 ? -1 : last);
      expect(log.write(state, BigInt(state.seq + 1), Date.now() + 1000)).toBe(true);
      const held = log.read();
      expect(held.token).toBe(BigInt(state.seq + 1));
      last = held.seq;
      expect(log.write(held, held.token, 0)).toBe(true);
      expect(log.read().expiresAt).toBe(0);
    }
    expect(log.read().seq).toBe(100);
    expect(readdirSync(log.dir)).toHaveLength(1);
  });

  it("release is one new entry, and a lease another process moved on is not released by it", async () => {
    const dir = join(root, "release");
    const lock = new FsBackend({ dir, sweepEveryMs: 0 }).lock("release");
    const grant = await lock.tryAcquire("name", 60_000);
    expect(grant).toBeDefined();
    const logDir = readdirSync(join(dir, "release", "locks"), { recursive: true, withFileTypes: true }).find((d) =>
      d.name.endsWith(".l"),
    );
    const log = logAt(join(logDir?.parentPath ?? "", logDir?.name ?? ""));
    expect(await lock.release("name", grant?.token ?? 0n)).toBe(true);
    expect(log.read().expiresAt).toBe(0);
    expect(readdirSync(log.dir).sort()).toEqual(["1", "2"]);
    // Another process writes the entry after our grant (as a takeover would): our release must fail and leave it.
    const again = await lock.tryAcquire("name", 60_000);
    const held = log.read();
    expect(held.token).toBe(again?.token);
    expect(log.write(held, held.token + 1n, Date.now() + 60_000)).toBe(true);
    expect(await lock.release("name", again?.token ?? 0n)).toBe(false);
    expect(log.read().token).toBe(held.token + 1n);
    expect(log.read().expiresAt).toBeGreaterThan(Date.now());
  });

  it("a process that keeps re-taking a name steps aside for a waiting process, but not for a stale marker", async () => {
    const dir = join(root, "polite");
    const lock = new FsBackend({ dir, sweepEveryMs: 0 }).lock("polite");
    const cycle = async (name: string) => {
      const grant = await lock.tryAcquire(name, 60_000);
      if (grant) await lock.release(name, grant.token);
      return grant !== undefined;
    };
    const markers: [string, number][] = [
      ["stale", Date.now() - 1],
      ["waited", Date.now() + 600_000],
    ];
    for (const [name, expiry] of markers) {
      expect(await cycle(name)).toBe(true); // makes the log directory
      const logDir = readdirSync(join(dir, "polite", "locks"), { recursive: true, withFileTypes: true }).find(
        (d) => d.name === `${Buffer.from(name).toString("hex")}.l`,
      );
      // A waiter marker of another process: a symlink to the time it stops counting.
      symlinkSync(String(expiry), join(logDir?.parentPath ?? "", logDir?.name ?? "", "w.999999999.1"));
    }
    const refused = { stale: 0, waited: 0 };
    for (let i = 0; i < 100; i++) {
      if (!(await cycle("stale"))) refused.stale++;
      if (!(await cycle("waited"))) refused.waited++;
    }
    expect(refused.stale).toBe(0);
    expect(refused.waited).toBeGreaterThan(0);
  });

  it("two processes racing to take over the same expired lease: exactly one wins, every round", async () => {
    const dir = join(root, "race");
    const rounds = 150;
    const lock = new FsBackend({ dir, sweepEveryMs: 0 }).lock("race");
    const racers: Child[] = [0, 1].map(() => startFixture("takeover-racer.mjs", [dir, "race", "contested"]));
    try {
      await Promise.all(racers.map((racer) => racer.next((m) => m.ready === true)));
      let lastToken = 0n;
      for (let round = 0; round < rounds; round++) {
        // A lease that expires at once: both racers find it expired and try to take it over.
        const expiring = await lock.tryAcquire("contested", 1);
        expect(expiring, `round ${round}: the name was free`).toBeDefined();
        await new Promise((resolve) => setTimeout(resolve, 3));
        const at = Date.now() + 10;
        for (const racer of racers) racer.send(`go ${round} ${at}`);
        const results = await Promise.all(racers.map((racer) => racer.next((m) => m.round === round)));
        const winners = results.filter((r) => r.token !== null);
        expect(winners, `round ${round}: ${JSON.stringify(results)}`).toHaveLength(1);
        const token = BigInt(winners[0]?.token as string);
        expect(token).toBeGreaterThan((expiring?.token ?? 0n) > lastToken ? (expiring?.token ?? 0n) : lastToken);
        lastToken = token;
        const winner = racers[results.indexOf(winners[0] as Record<string, unknown>)] as Child;
        winner.send(`release ${round}`);
        expect((await winner.next((m) => m.released === round)).ok).toBe(true);
      }
    } finally {
      for (const racer of racers) racer.process.kill("SIGKILL");
    }
  }, 60_000);
});
