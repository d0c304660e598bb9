import type { Redis } from "ioredis";
import type { RedisClient } from "../client.js";

/** A Lua script the drivers run by name: ioredis loads it once and sends EVALSHA, reloading on NOSCRIPT. */
export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

type ScriptMethod = (...keysAndArgs: (string | Buffer | number)[]) => Promise<unknown>;

/** Registers scripts on a client (a Cluster registers them on every node it talks to). */
export function defineScripts(client: RedisClient | Redis, scripts: readonly LuaScript[]): void {
  for (const script of scripts) {
    client.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
}

/** Runs a registered script; string replies come back as strings. */
export function runScript(
  client: RedisClient | Redis,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | Buffer | number)[],
): Promise<unknown> {
  const method = (client as unknown as Record<string, ScriptMethod>)[script.name];
  if (!method) throw new Error(`script ${script.name} was not defined on this client`);
  return method.call(client, ...keys, ...args);
}

/** Runs a registered script; string replies come back as Buffers (for binary values). */
export function runScriptBuffer(
  client: RedisClient | Redis,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | Buffer | number)[],
): Promise<unknown> {
  const method = (client as unknown as Record<string, ScriptMethod>)[`${script.name}Buffer`];
  if (!method) throw new Error(`script ${script.name} was not defined on this client`);
  return method.call(client, ...keys, ...args);
}
