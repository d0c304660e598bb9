import { type ChildProcess, fork } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FifoWakeChannel, sleepUntilWoken, WAKE_ADDRESS } from "@stowage/core";
import { afterEach, describe, expect, it } from "vitest";

const core = pathToFileURL(join(import.meta.dirname, "../dist/index.js")).href;

/** A process that opens a channel on `dir`, says its address, and reports each key it is woken for. */
const LISTENER = `
import { FifoWakeChannel, sleepUntilWoken } from ${JSON.stringify(core)};
const channel = new FifoWakeChannel(process.argv[2]);
await channel.ready();
process.send({ address: channel.address });
process.on("message", async ({ key, ms }) => {
  const woken = await sleepUntilWoken(ms, undefined, channel.source(key));
  process.send({ key, woken });
});
process.send({ listening: true });
`;

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "stowage-wake-"));
  dirs.push(dir);
  return dir;
}

function next<T>(child: ChildProcess, test: (message: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      if (!test(message)) return;
      child.off("message", onMessage);
      resolve(message);
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`listener exited with ${code}`)));
  });
}

async function listener(dir: string): Promise<{ child: ChildProcess; address: string }> {
  const script = join(dir, "listener.mjs");
  writeFileSync(script, LISTENER);
  const child = fork(script, [join(dir, "wake")], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.push(child);
  const { address } = await next<{ address: string }>(child, (m) => "address" in m);
  await next(child, (m: { listening?: boolean }) => m.listening === true);
  return { child, address };
}

/** Asks the listener to wait for `key`, and resolves with whether it was woken before `ms`. */
async function listen(child: ChildProcess, key: string, ms: number, send: () => void): Promise<boolean> {
  const answer = next<{ key: string; woken: boolean }>(child, (m) => m.key === key);
  child.send({ key, ms });
  // The listener subscribes on receipt; a send before that would be a lost hint, which the
  // protocol allows but this test is not about: resend until answered (each send is idempotent).
  const timer = setInterval(send, 20);
  try {
    return (await answer).woken;
  } finally {
    clearInterval(timer);
  }
}

describe("FifoWakeChannel: wake-ups between processes", () => {
  it("a send to another process's address wakes its listener of that key, and only of that key", async () => {
    const dir = scratch();
    const { child, address } = await listener(dir);
    expect(address).toMatch(WAKE_ADDRESS);
    const sender = new FifoWakeChannel(join(dir, "wake"));
    try {
      expect(await listen(child, "ns\0train:1", 60_000, () => sender.send(address, "ns\0train:1"))).toBe(true);
      // Another key's wake-ups reach the process but not this listener: it runs to its bound.
      expect(await listen(child, "ns\0train:2", 300, () => sender.send(address, "ns\0train:3"))).toBe(false);
    } finally {
      sender.close();
    }
  });

  it("a send to a process that died (SIGKILL) says so, and removes its pipe", async () => {
    const dir = scratch();
    const { child, address } = await listener(dir);
    const sender = new FifoWakeChannel(join(dir, "wake"));
    try {
      // Kept open from a first send, so the death is seen on a descriptor already held (EPIPE)...
      expect(sender.send(address, "k")).toBe(true);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
      expect(sender.send(address, "k")).toBe(false);
      expect(existsSync(join(dir, "wake", address))).toBe(false);
    } finally {
      sender.close();
    }
    // ...and by a sender that never wrote to it (ENXIO at open).
    const second = await listener(dir);
    const exited = new Promise((resolve) => second.child.once("exit", resolve));
    second.child.kill("SIGKILL");
    await exited;
    const fresh = new FifoWakeChannel(join(dir, "wake"));
    try {
      expect(fresh.send(second.address, "k")).toBe(false);
      expect(existsSync(join(dir, "wake", second.address))).toBe(false);
    } finally {
      fresh.close();
    }
  });

  it("an address read from a damaged queue never names a path: nothing is created or opened outside the channel's directory", () => {
    const dir = scratch();
    const channel = new FifoWakeChannel(join(dir, "wake"));
    try {
      for (const address of [
        "../../etc/passwd",
        "..",
        "",
        "a/b",
        `${"x".repeat(13)}-0123456789ab/..`,
        "A-0123456789ab",
      ]) {
        expect(channel.send(address, "k")).toBe(true);
      }
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      channel.close();
    }
  });

  it("a closed channel removes its pipe; a send to it is a lost hint, not an error or a verdict of death", async () => {
    const dir = scratch();
    const channel = new FifoWakeChannel(join(dir, "wake"));
    await channel.ready();
    expect(readdirSync(join(dir, "wake"))).toEqual([channel.address]);
    channel.close();
    expect(readdirSync(join(dir, "wake"))).toEqual([]);
    const other = new FifoWakeChannel(join(dir, "wake"));
    try {
      expect(other.send(channel.address, "k")).toBe(true);
    } finally {
      other.close();
    }
  });

  it("a process that exits without closing its channel takes its pipe with it", async () => {
    const dir = scratch();
    const { child, address } = await listener(dir);
    expect(readdirSync(join(dir, "wake"))).toEqual([address]);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.disconnect();
    await exited;
    expect(readdirSync(join(dir, "wake"))).toEqual([]);
  });

  it("a send to its own address wakes in process, without the pipe", async () => {
    const channel = new FifoWakeChannel(join(scratch(), "wake"));
    try {
      const woken = sleepUntilWoken(60_000, undefined, channel.source("k"));
      expect(channel.send(channel.address, "k")).toBe(true);
      await expect(woken).resolves.toBe(true);
    } finally {
      channel.close();
    }
  });
});

describe("sleepUntilWoken", () => {
  it("a source that wakes while being subscribed ends the wait, and every source is unsubscribed", async () => {
    const live = new Set<string>();
    const track = (id: string, wakeAtOnce: boolean) => (wake: () => void) => {
      live.add(id);
      if (wakeAtOnce) wake();
      return () => live.delete(id);
    };
    const woken = sleepUntilWoken(60_000, undefined, track("a", false), track("b", true), track("c", false));
    await expect(woken).resolves.toBe(true);
    expect([...live]).toEqual([]);
  });
});
