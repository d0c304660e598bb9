import { fileURLToPath } from "node:url";
import { type JsonLinesChild, spawnJsonLines, waitUntil } from "@stowage/conformance/testing";
import fc from "fast-check";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyLayout } from "../src/key-layout.js";
import { LOCK_SCRIPTS, lockAcquire, lockLeaveQueue, lockReleaseWake } from "../src/scripts/lock-scripts.js";
import { defineScripts, runScript } from "../src/scripts/lua-script.js";
import {
  startCluster,
  startPrimaries,
  startStandalone,
  type TestServer,
  type TestServers,
} from "../src/testing/index.js";
import { skipWithoutBinary } from "./servers.js";

// The fair queue and wake-ups of Redis locks (lock-scripts.ts, lock-wakes.ts): arrival order across
// processes, the releaser re-asking goes last, a SIGKILLed head is skipped, a lost wake-up costs a
// poll, and a model check of the queue scripts. Waits are bounded generously: a failure is a stall.

const WAITER = fileURLToPath(new URL("./fixtures/lock-waiter.mjs", import.meta.url));
/** A slow poll: the driver still refreshes places every placeMs / 2 (500 ms), whatever the caller's pace. */
const WAKE_ONLY_RETRY_MS = 30_000;
const STEP_MS = 20_000;

type Inspector = Redis | Cluster;

function inspectorFor(servers: TestServers, cluster: boolean): Inspector {
  const ports = servers.nodes.map((node) => node.port);
  return cluster
    ? new Cluster(ports.map((port) => ({ host: "127.0.0.1", port })))
    : new Redis({ host: "127.0.0.1", port: ports[0] as number });
}

async function serverMs(redis: Inspector): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** One lock-waiter process on `url`, once it has opened the store. */
async function waiter(url: string, children: JsonLinesChild[]): Promise<JsonLinesChild> {
  const child = spawnJsonLines(WAITER, [url], { label: "lock waiter" });
  children.push(child);
  await child.take((m) => m.ready === true, STEP_MS);
  return child;
}

const granted = (child: JsonLinesChild) =>
  child
    .take<{ token: string }>((m) => "granted" in m || "failed" in m, STEP_MS)
    .then((m) => {
      if (!("token" in m)) throw new Error(`waiter failed: ${JSON.stringify(m)}`);
      return BigInt(m.token);
    });

function describeQueue(topology: "standalone" | "cluster" | "redlock"): void {
  const cluster = topology === "cluster";
  describe(`redis lock queue across processes (${topology})`, () => {
    let servers: TestServers;
    let redis: Inspector;
    const children: JsonLinesChild[] = [];
    beforeAll(async () => {
      servers =
        topology === "cluster"
          ? await startCluster(3)
          : topology === "redlock"
            ? await startPrimaries(3)
            : await startStandalone();
      // redlock: the first primary's queue stands for all three (each holds the same places).
      redis = inspectorFor(servers, cluster);
    }, 60_000);
    afterAll(async () => {
      for (const child of children) if (child.child.exitCode === null) child.child.kill("SIGKILL");
      redis?.disconnect();
      await servers?.stop();
    });

    let run = 0;
    const fresh = () => {
      const namespace = `q${++run}${Math.random().toString(36).slice(2, 8)}`;
      return { url: `${servers.url}?namespace=${namespace}`, layout: new KeyLayout("stowage", namespace) };
    };
    const queued = (layout: KeyLayout, count: number) =>
      waitUntil(`${count} queued`, async () => (await redis.zcard(layout.queueKey("job"))) === count, STEP_MS);

    it("grants in arrival order, each hand-off after a wake-up to that waiter; the releaser re-asking goes last", async () => {
      const { url, layout } = fresh();
      // The test listens on each waiter's channel too (any node of a Cluster hears every PUBLISH;
      // the first redlock primary stands for all).
      const watcher = new Redis({ host: "127.0.0.1", port: servers.nodes[0]?.port as number });
      const woken: string[] = [];
      watcher.on("message", (channel: string) => woken.push(channel.slice("stowage:w:".length)));
      const addresses = new Map<JsonLinesChild, string>();
      const watch = async (child: JsonLinesChild) => {
        const [address] = await redis.zrange(layout.queueKey("job"), -1, -1);
        addresses.set(child, address as string);
        await watcher.subscribe(`stowage:w:${address}`);
      };
      const holder = await waiter(url, children);
      holder.send(`acquire job ${WAKE_ONLY_RETRY_MS}`);
      const tokens = [await granted(holder)];
      const waiters: JsonLinesChild[] = [];
      for (let i = 1; i <= 4; i++) {
        const next = await waiter(url, children);
        next.send(`acquire job ${WAKE_ONLY_RETRY_MS}`);
        // Each is queued before the next starts: arrival order is this loop's order.
        await queued(layout, i);
        await watch(next);
        waiters.push(next);
      }
      holder.send(`release-acquire job ${WAKE_ONLY_RETRY_MS}`);
      const order = [...waiters, holder];
      for (const [i, expected] of order.entries()) {
        tokens.push(await granted(expected));
        if (i === 0) {
          // The releaser asked again at once: it queues behind the three still waiting.
          await queued(layout, 4);
          await watch(holder);
        }
        const address = addresses.get(expected) as string;
        await waitUntil("the release's wake-up to the waiter granted", () => woken.includes(address), STEP_MS);
        for (const other of order)
          if (other !== expected) expect(other.messages.some((m) => "granted" in m)).toBe(false);
        if (i < order.length - 1) {
          expected.send("release job");
          await expected.take((m) => "released" in m, STEP_MS);
        }
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i] as bigint).toBeGreaterThan(tokens[i - 1] as bigint);
      holder.send("release job");
      await holder.take((m) => "released" in m, STEP_MS);
      watcher.disconnect();
      expect(await redis.exists(layout.queueKey("job"), layout.queueDeadlineKey("job"))).toBe(0);
    }, 120_000);

    it(cluster
      ? "a SIGKILLed waiter at the head holds the queue only until its place's deadline"
      : "a SIGKILLed waiter at the head is skipped at the release (its PUBLISH reaches nobody)", async () => {
      const { url, layout } = fresh();
      // Standalone: pauses of seconds, so the skip cannot be a lapse (the place lives 16 s). Cluster: the
      // default pace, whose places (2 s) lapse; the survivors' polls then find the head gone.
      const retry = cluster ? 50 : 5000;
      const holder = await waiter(url, children);
      holder.send(`acquire job ${retry}`);
      await granted(holder);
      const waiters: JsonLinesChild[] = [];
      for (let i = 1; i <= 3; i++) {
        const next = await waiter(url, children);
        next.send(`acquire job ${retry}`);
        await queued(layout, i);
        waiters.push(next);
      }
      const [first, second, third] = waiters as [JsonLinesChild, JsonLinesChild, JsonLinesChild];
      const [dead] = await redis.zrange(layout.queueKey("job"), 0, 0);
      first.child.kill("SIGKILL");
      await first.exited;
      const channel = `stowage:w:${dead}`;
      if (!cluster)
        await waitUntil(
          "the dead waiter's subscriber to close",
          async () => {
            const reply = (await (redis as Redis).pubsub("NUMSUB", channel)) as [string, number];
            return Number(reply[1]) === 0;
          },
          STEP_MS,
        );
      const deadline = Number(await redis.zscore(layout.queueDeadlineKey("job"), dead as string));
      holder.send("release job");
      await granted(second);
      const at = await serverMs(redis);
      if (cluster) expect(at).toBeGreaterThanOrEqual(deadline);
      else expect(at).toBeLessThan(deadline);
      expect(await redis.zscore(layout.queueKey("job"), dead as string)).toBeNull();
      second.send("release job");
      await granted(third);
      third.send("release job");
      await third.take((m) => "released" in m, STEP_MS);
    }, 120_000);

    if (!cluster)
      it("a dead head while the name is free (woken, then gone) is passed over at the next attempt, not at its deadline", async () => {
        const { url, layout } = fresh();
        // A place nobody listens for, living 10 minutes: only the nudge of the next attempt can pass it.
        const [seconds] = await redis.time();
        const queueKeys = [layout.queueKey("job"), layout.queueDeadlineKey("job")] as const;
        const primaries = servers.nodes.map((node) => new Redis({ host: "127.0.0.1", port: node.port }));
        try {
          for (const primary of primaries) {
            await primary.zadd(queueKeys[0], 1, "gone");
            await primary.zadd(queueKeys[1], (Number(seconds) + 600) * 1000, "gone");
          }
          const next = await waiter(url, children);
          next.send(`acquire job ${WAKE_ONLY_RETRY_MS}`);
          await granted(next);
          for (const primary of primaries) expect(await primary.zscore(queueKeys[0], "gone")).toBeNull();
          next.send("release job");
          await next.take((m) => "released" in m, STEP_MS);
        } finally {
          for (const primary of primaries) primary.disconnect();
        }
      }, 60_000);

    if (topology === "standalone")
      it("a lost wake-up (subscribers killed with CLIENT KILL) costs a poll; wake-ups work again after the resubscribe", async () => {
        const { url, layout } = fresh();
        const holder = await waiter(url, children);
        holder.send("acquire job 200");
        await granted(holder);
        const next = await waiter(url, children);
        next.send("acquire job 200");
        await queued(layout, 1);
        const [address] = await redis.zrange(layout.queueKey("job"), 0, 0);
        await (redis as Redis).client("KILL", "TYPE", "pubsub");
        holder.send("release job");
        // The release's PUBLISH found nobody (dropped the place) or a message was lost: the next poll takes it.
        await granted(next);
        const subscribed = async (who: string) => {
          const reply = (await (redis as Redis).pubsub("NUMSUB", `stowage:w:${who}`)) as [string, number];
          return Number(reply[1]) === 1;
        };
        await waitUntil("the waiter to subscribe again", () => subscribed(address as string), STEP_MS);
        holder.send(`acquire job ${WAKE_ONLY_RETRY_MS}`);
        await queued(layout, 1);
        const [holderAddress] = await redis.zrange(layout.queueKey("job"), 0, 0);
        await waitUntil("the holder to subscribe again", () => subscribed(holderAddress as string), STEP_MS);
        // (That the wake-up then arrives is the arrival-order test's; here the grant must come, woken or polled.)
        next.send("release job");
        await granted(holder);
        holder.send("release job");
        await holder.take((m) => "released" in m, STEP_MS);
      }, 120_000);
  });
}

if (!skipWithoutBinary("redis lock queue")) {
  describeQueue("standalone");
  describeQueue("cluster");
  describeQueue("redlock");

  describe("redis lock queue on a server whose ACL refuses every pub/sub channel", () => {
    let server: TestServer;
    const children: JsonLinesChild[] = [];
    beforeAll(async () => {
      const args = ["--user", "default", "off", "--user", "app", "on", ">secret", "~*", "resetchannels", "+@all"];
      server = await startStandalone({ args });
    }, 60_000);
    afterAll(async () => {
      for (const child of children) if (child.child.exitCode === null) child.child.kill("SIGKILL");
      await server?.stop();
    });

    it("releases still succeed (the PUBLISH is a pcall) and waiters get the name by polling", async () => {
      const url = `redis://app:secret@127.0.0.1:${server.port}?namespace=acl`;
      const holder = await waiter(url, children);
      holder.send("acquire job 50");
      const first = await granted(holder);
      const next = await waiter(url, children);
      next.send("acquire job 50");
      const redis = new Redis({ host: "127.0.0.1", port: server.port, username: "app", password: "secret" });
      try {
        await waitUntil(
          "queued",
          async () => (await redis.zcard(new KeyLayout("stowage", "acl").queueKey("job"))) === 1,
        );
      } finally {
        redis.disconnect();
      }
      holder.send("release job");
      expect(await holder.take((m) => "released" in m, STEP_MS)).toMatchObject({ ok: true });
      expect(await granted(next)).toBeGreaterThan(first);
      next.send("release job");
      expect(await next.take((m) => "released" in m, STEP_MS)).toMatchObject({ ok: true });
    }, 60_000);
  });

  describe("redis lock queue scripts against a model", () => {
    let servers: TestServers;
    let redis: Redis;
    let subscriber: Redis;
    const received: Array<{ address: string; key: string }> = [];
    beforeAll(async () => {
      servers = await startStandalone();
      redis = new Redis(servers.url);
      defineScripts(redis, LOCK_SCRIPTS);
      subscriber = new Redis(servers.url);
      subscriber.on("message", (channel: string, key: string) =>
        received.push({ address: channel.slice("model:w:".length), key }),
      );
    }, 60_000);
    afterAll(async () => {
      redis?.disconnect();
      subscriber?.disconnect();
      await servers?.stop();
    });

    const ADDRESSES = ["a", "b", "c", "d", "e"] as const;
    const address = fc.constantFrom(...ADDRESSES);
    const step = fc.oneof(
      fc.record({ kind: fc.constant("acquire" as const), who: address, join: fc.boolean() }),
      fc.record({ kind: fc.constant("release" as const) }),
      fc.record({ kind: fc.constant("leave" as const), who: address }),
      fc.record({ kind: fc.constant("lapse" as const), who: address }),
    );

    it("acquire/join/release/stopWaiting/lapse interleavings match a FIFO model, wake-ups included", async () => {
      let run = 0;
      const expectedWakes = new Map<string, string[]>();
      await fc.assert(
        fc.asyncProperty(fc.subarray([...ADDRESSES]), fc.array(step, { maxLength: 40 }), async (alive, steps) => {
          const layout = new KeyLayout("model", `r${++run}`);
          const [lease, fence, queue, deadlines] = [
            layout.leaseKey("n"),
            layout.fenceKey("n"),
            layout.queueKey("n"),
            layout.queueDeadlineKey("n"),
          ];
          const channels = alive.map((who) => `model:w:${who}`);
          if (channels.length > 0) await subscriber.subscribe(...channels);
          // The model: the holder, the places in arrival order (lapsed ones stay until they reach the head), the wakes sent.
          let holder: { who: string; token: bigint } | undefined;
          let places: Array<{ who: string; live: boolean }> = [];
          const wakes: string[] = [];
          expectedWakes.set(lease, wakes);
          const liveHead = () => {
            while (places[0] && !places[0].live) places.shift();
            return places[0]?.who;
          };
          const wake = (skip?: string) => {
            for (let i = 0; i < 4; i++) {
              const head = liveHead();
              if (head === undefined || head === skip) return;
              if (alive.includes(head)) {
                wakes.push(head);
                return;
              }
              places.shift();
            }
          };
          let lastToken = 0n;
          for (const s of steps) {
            if (s.kind === "acquire") {
              const reply = await runScript(
                redis,
                lockAcquire,
                [lease, fence, queue, deadlines],
                [60_000, s.who, s.join ? 60_000 : 0, "", "model:w:", "1"],
              );
              // A free name whose head is someone else: the script nudges the head (dropping dead ones).
              if (!holder && liveHead() !== undefined && liveHead() !== s.who) wake(s.who);
              const head = holder ? undefined : liveHead();
              const grants = !holder && (head === undefined || head === s.who);
              expect(reply !== null).toBe(grants);
              if (grants) {
                const token = BigInt(reply as string);
                expect(token).toBeGreaterThan(lastToken);
                lastToken = token;
                holder = { who: s.who, token };
                places = places.filter((p) => p.who !== s.who);
              } else if (s.join) {
                const place = places.find((p) => p.who === s.who);
                if (place) place.live = true;
                else places.push({ who: s.who, live: true });
              }
            } else if (s.kind === "release") {
              const reply = await runScript(
                redis,
                lockReleaseWake,
                [lease, queue, deadlines],
                [String(holder?.token ?? 1n), "model:w:", "1", ""],
              );
              expect(Number(reply)).toBe(holder ? 1 : 0);
              if (holder) {
                holder = undefined;
                wake();
              }
            } else if (s.kind === "leave") {
              await runScript(redis, lockLeaveQueue, [lease, queue, deadlines], [s.who, "model:w:", "1"]);
              places = places.filter((p) => p.who !== s.who);
              if (!holder) wake();
            } else {
              // The place's deadline passes (as if its waiter had stopped refreshing it).
              await redis.zadd(deadlines, "XX", 0, s.who);
              const place = places.find((p) => p.who === s.who);
              if (place) place.live = false;
            }
            expect(await redis.zrange(queue, 0, -1)).toEqual(places.map((p) => p.who));
            expect((await redis.zrange(deadlines, 0, -1)).sort()).toEqual(places.map((p) => p.who).sort());
          }
          await waitUntil(
            "the wake-ups the model sent",
            () => received.filter((r) => r.key === lease).length >= wakes.length,
            STEP_MS,
          );
          expect(received.filter((r) => r.key === lease).map((r) => r.address)).toEqual(wakes);
          if (channels.length > 0) await subscriber.unsubscribe(...channels);
          await redis.del(lease, queue, deadlines);
        }),
        { numRuns: 150 },
      );
      // Messages of one connection arrive in order: by now any extra wake of an earlier run would have come.
      for (const [key, wakes] of expectedWakes) expect(received.filter((r) => r.key === key).length).toBe(wakes.length);
    }, 120_000);
  });
}
