import { parseMultiHostUrl } from "@stowage/core";
import { describe, expect, it } from "vitest";
import { parseRedisUrl } from "../src/options.js";

const parse = (raw: string, options: Record<string, unknown> = {}) => {
  const url = parseMultiHostUrl(raw);
  return parseRedisUrl(url, new URLSearchParams(url.search), options);
};

const configError = (raw: string, field: string) => {
  try {
    parse(raw);
  } catch (error) {
    expect(error).toMatchObject({ code: "ERR_CONFIG", field });
    return;
  }
  throw new Error(`${raw} was accepted`);
};

describe("redis URLs", () => {
  it("a plain URL gives host, port, db, user and password", () => {
    const options = parse("redis://app:p%40ss@cache.internal:6380/3");
    expect(options).toMatchObject({
      topology: "standalone",
      hosts: [{ host: "cache.internal", port: 6380 }],
      db: 3,
      username: "app",
      password: "p@ss",
      prefix: "stowage",
      commandTimeoutMs: 2000,
    });
    expect(options.tls).toBeUndefined();
  });

  it("rediss:// turns TLS on with verification, and only tlsVerify=false turns verification off", () => {
    expect(parse("rediss://h:6379").tls).toEqual({ rejectUnauthorized: true });
    expect(parse("rediss://h:6379?servername=cache.example&tlsVerify=false").tls).toEqual({
      rejectUnauthorized: false,
      servername: "cache.example",
    });
    expect(parse("redis+cluster://a:1,b:2?tls=true").tls).toEqual({ rejectUnauthorized: true });
  });

  it("Cluster, Sentinel and redlock URLs list several hosts", () => {
    expect(parse("redis+cluster://10.0.0.1:7000,10.0.0.2:7001").hosts).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "10.0.0.2", port: 7001 },
    ]);
    expect(parse("redis+sentinel://:pw@s1,s2:26380/mymaster/2")).toMatchObject({
      topology: "sentinel",
      sentinelName: "mymaster",
      db: 2,
      password: "pw",
      hosts: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26380 },
      ],
    });
    expect(parse("redlock://a:1,[::1]:2,c").hosts).toEqual([
      { host: "a", port: 1 },
      { host: "::1", port: 2 },
      { host: "c", port: 6379 },
    ]);
  });

  it("object options override URL parameters", () => {
    expect(parse("redis://h?prefix=one&timeout=100", { prefix: "two", timeout: 250 })).toMatchObject({
      prefix: "two",
      commandTimeoutMs: 250,
    });
  });

  it("a bad URL or option is a ConfigError naming the field", () => {
    configError("redis://h?colour=blue", "url.colour");
    configError("redis://h?timeout=soon", "url.timeout");
    configError("redis://h?prefix=a{b}", "url.prefix");
    configError("redis://h/db7", "url db");
    configError("redis://h?ca=/tmp/ca.pem", "url.ca");
    configError("rediss://h?ca=/nonexistent/ca.pem", "url.ca");
    configError("redis://a:1,b:2", "url");
    configError("redis+cluster://a:1,b:2/1", "url");
    configError("redis+sentinel://s1,s2", "url");
    configError("redlock://a,b", "url");
    configError("redis://h?sentinelPassword=x", "url.sentinelPassword");
    configError("redlock://a,b,c?driftFactor=2", "url.driftFactor");
  });
});
