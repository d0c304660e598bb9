import { isStowageError } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { DEFAULTS, parseBenchArgs, splitUrls } from "../src/args.js";
import { PEERS } from "../src/peers/index.js";
import { SCENARIOS } from "../src/scenarios/index.js";

function configError(argv: string[]): Error {
  try {
    parseBenchArgs(argv);
  } catch (error) {
    expect(isStowageError(error, "ERR_CONFIG")).toBe(true);
    return error as Error;
  }
  throw new Error(`accepted ${argv.join(" ")}`);
}

describe("bench arguments", () => {
  it("defaults to the seed scenario on memory:// with the seed's N", () => {
    const options = parseBenchArgs([]);
    expect(options.scenarios.map((s) => s.name)).toEqual(["seed"]);
    expect(options.backends).toEqual(["memory://"]);
    expect(options.peers).toEqual([]);
    expect(options.settings.n).toBe(2000);
    expect(options.settings.concurrencies).toEqual([1, 4, 16, 64]);
    expect(options.settings.valueSizes).toEqual([100, 10 * 1024, 1024 * 1024]);
    expect(options.out).toBe(DEFAULTS.out);
  });

  it("reads the done-when command", () => {
    const options = parseBenchArgs(["--scenario", "seed", "--backends", "memory://", "--peers", "all"]);
    expect(options.peers).toEqual(PEERS.map((p) => p.name));
  });

  it("takes comma-separated scenarios, backends and numbers", () => {
    const options = parseBenchArgs([
      "--scenario=sweep,checkpoint",
      "--backends",
      "memory://,sqlite:///tmp/x.db",
      "--peers",
      "redlock,raw-lmdb",
      "--n",
      "50",
      "--repeats",
      "5",
      "--warmup",
      "0",
      "--workers",
      "3",
      "--duration",
      "250",
      "--hold-ms",
      "2",
      "--thread-size",
      "40",
      "--out",
      "/tmp/results",
      "--no-progress",
    ]);
    expect(options.scenarios.map((s) => s.name)).toEqual(["sweep", "checkpoint"]);
    expect(options.backends).toEqual(["memory://", "sqlite:///tmp/x.db"]);
    expect(options.peers).toEqual(["redlock", "raw-lmdb"]);
    expect(options.settings).toMatchObject({
      n: 50,
      repeats: 5,
      warmup: 0,
      workers: 3,
      durationMs: 250,
      holdMs: 2,
      threadSize: 40,
    });
    expect(options.out).toBe("/tmp/results");
    expect(options.progress).toBe(false);
  });

  it("expands --scenario all to every scenario", () => {
    expect(parseBenchArgs(["--scenario", "all"]).scenarios).toEqual(SCENARIOS);
  });

  it("accepts multi-host backends (Cluster, redlock) and still refuses what is not a URL", () => {
    const urls = "redis+cluster://127.0.0.1:7000,127.0.0.1:7001?tls=true,redlock://h1:6379,h2:6379,h3:6379";
    expect(parseBenchArgs(["--backends", urls]).backends).toEqual([
      "redis+cluster://127.0.0.1:7000,127.0.0.1:7001?tls=true",
      "redlock://h1:6379,h2:6379,h3:6379",
    ]);
    expect(() => parseBenchArgs(["--backends", "not a url"])).toThrow(/is not a URL/);
  });

  it("keeps the commas inside a cluster URL", () => {
    expect(splitUrls("memory://,redis+cluster://h1:7000,h2:7001?tls=true,lmdb:///tmp/l")).toEqual([
      "memory://",
      "redis+cluster://h1:7000,h2:7001?tls=true",
      "lmdb:///tmp/l",
    ]);
  });

  it("names the bad option and what is allowed", () => {
    expect(configError(["--scenario", "nope"]).message).toMatch(
      /--scenario: unknown scenario "nope"; allowed: seed, sweep/,
    );
    expect(configError(["--peers", "memcached"]).message).toMatch(
      /--peers: unknown peer "memcached"; allowed: .*redlock/,
    );
    expect(configError(["--n", "0"]).message).toMatch(/--n: must be a whole number above 0, got "0"/);
    expect(configError(["--n", "1e3"]).message).toMatch(/--n/);
    expect(configError(["--repeats", "-2"]).message).toMatch(/--repeats/);
    expect(configError(["--backends", "not a url"]).message).toMatch(/--backends: "not a url" is not a URL/);
    expect(configError(["--frobnicate"]).message).toMatch(/Unknown option '--frobnicate'[\s\S]*Usage:/);
    expect(configError(["--n"]).message).toMatch(/--n/);
    expect(configError(["--backends", "none"]).message).toMatch(/nothing to measure/);
  });
});

describe("backend lists", () => {
  it("splits on a following keyword too", () => {
    expect(splitUrls("memory://, all")).toEqual(["memory://", "all"]);
    expect(splitUrls("redis+cluster://all:7000,b:7001")).toEqual(["redis+cluster://all:7000,b:7001"]);
  });
});
