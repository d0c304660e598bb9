import type { RedisConnection } from "./connection.js";
import { escapeGlob, type KeyLayout } from "./key-layout.js";

/** What follows a namespace's base in every key the layout writes (see KeyLayout). */
const KINDS = [
  Buffer.from("c:"),
  Buffer.from("{l:"),
  Buffer.from("{t:"),
  Buffer.from("checkpoints"),
  Buffer.from("threads"),
];

/**
 * Moves the keys a store with a ":" in its prefix wrote before prefixes were encoded (`a:b:ns:…`)
 * to where the layout now keeps them (`a::b:ns:…`), once per namespace: a marker key under the new
 * base says it is done. A key already written at the new place wins. Each key moves with DUMP and
 * RESTORE (keeping its TTL), since on a Cluster the new name of a key without a hash tag may hash
 * to another slot.
 */
export async function upgradeLegacyPrefix(connection: RedisConnection, layout: KeyLayout): Promise<void> {
  const marker = `${layout.base}layout`;
  const client = connection.client;
  if ((await client.get(marker)) === "2") return;
  const legacy = Buffer.from(layout.legacyBase);
  const match = `${escapeGlob(layout.legacyBase)}*`;
  for (const node of connection.primaries()) {
    let cursor = "0";
    do {
      const [next, found] = await node.scanBuffer(cursor, "MATCH", match, "COUNT", 500);
      cursor = String(next);
      for (const oldKey of found) {
        const rest = oldKey.subarray(legacy.length);
        if (!KINDS.some((kind) => rest.subarray(0, kind.length).equals(kind))) continue;
        const [dump, pttl] = await Promise.all([node.dumpBuffer(oldKey), node.pttl(oldKey)]);
        if (dump === null || pttl === -2) continue;
        const newKey = Buffer.concat([Buffer.from(layout.base), rest]);
        await client.restore(newKey, Math.max(pttl, 0), dump).catch((error: Error) => {
          if (!/BUSYKEY/.test(error.message)) throw error;
        });
        await node.unlink(oldKey);
      }
    } while (cursor !== "0");
  }
  await client.set(marker, "2");
}
