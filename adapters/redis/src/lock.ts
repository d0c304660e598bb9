import { type LeaseGrant, type LockDriver, wallNow } from "@stowage/core";
import { RedisDriverBase } from "./driver-base.js";
import { lockAcquire, lockExtend, lockInspect, lockRaiseFence, lockRelease } from "./scripts/lock-scripts.js";
import { runScript } from "./scripts/lua-script.js";

/** The acquire script's reply: the new token as text, or null when the name is held. */
const grantOf = (token: unknown): LeaseGrant | undefined =>
  token === null ? undefined : { token: BigInt(token as string) };
const isOne = (reply: unknown): boolean => Number(reply) === 1;

/** Locks on one primary (standalone, Sentinel or a Cluster slot): each operation is one Lua script, one round trip. */
export class RedisLockDriver extends RedisDriverBase implements LockDriver {
  tryAcquire(name: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    const keys = [this.layout.leaseKey(name), this.layout.fenceKey(name)];
    return this.run((client) => runScript(client, lockAcquire, keys, [ttlMs]).then(grantOf));
  }

  extend(name: string, token: bigint, ttlMs: number): Promise<boolean> {
    return this.run(async (client) => {
      const reply = await runScript(client, lockExtend, [this.layout.leaseKey(name)], [String(token), ttlMs]);
      return Number(reply) === 1;
    });
  }

  release(name: string, token: bigint): Promise<boolean> {
    const key = this.layout.leaseKey(name);
    return this.run((client) => runScript(client, lockRelease, [key], [String(token)]).then(isOne));
  }

  inspect(name: string): Promise<{ token: bigint; expiresAt: number } | undefined> {
    return this.run(async (client) => {
      // Counted from before the request, as cache expiries are: never later than the lease's own.
      const sentAt = wallNow();
      const reply = (await runScript(client, lockInspect, [this.layout.leaseKey(name)], [])) as [string, number] | null;
      if (!reply) return undefined;
      return { token: BigInt(reply[0]), expiresAt: sentAt + Math.max(0, reply[1]) };
    });
  }

  async *fencingCounters(): AsyncIterable<{ name: string; token: bigint }> {
    const seen = new Set<string>();
    const match = this.layout.fencePattern();
    for (const node of this.connection.primaries()) {
      let cursor = "0";
      do {
        const [next, found] = await node.scan(cursor, "MATCH", match, "COUNT", 500);
        cursor = next;
        const fresh = found.filter((key) => !seen.has(key));
        for (const key of fresh) seen.add(key);
        const tokens = await Promise.all(fresh.map((key) => node.get(key)));
        for (const [i, key] of fresh.entries()) {
          const token = tokens[i];
          if (token) yield { name: this.layout.fenceName(key), token: BigInt(token) };
        }
      } while (cursor !== "0");
    }
  }

  raiseFence(name: string, atLeast: bigint): Promise<bigint> {
    const key = this.layout.fenceKey(name);
    return this.run((client) =>
      runScript(client, lockRaiseFence, [key], [String(atLeast)]).then((reply) => BigInt(reply as string)),
    );
  }
}
