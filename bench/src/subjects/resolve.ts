import { join } from "node:path";
import { PEERS } from "../peers/index.js";
import { choosePeerRedis, envRedisUrl, type PeerRedis, usePeerRedis } from "../peers/redis-server.js";
import { scratchDir } from "../peers/temp-dir.js";
import { stowageSubject } from "./stowage.js";
import type { Subject } from "./subject.js";

/**
 * The subjects of a run: backends, then peers. "all" expands to memory://, SQLite, LMDB and
 * files in a scratch directory, Redis at REDIS_URL, and the hybrid cache (memory L1) over it.
 * Redis peers use the first Redis backend's server (see choosePeerRedis) until cleanup.
 */
export async function resolveSubjects(
  backends: readonly string[],
  peers: readonly string[],
): Promise<{ subjects: Subject[]; peerRedis: PeerRedis; cleanup(): Promise<void> }> {
  const urls: string[] = [];
  const names = new Map<string, string>();
  let scratch: Awaited<ReturnType<typeof scratchDir>> | undefined;
  for (const url of backends) {
    if (url !== "all") {
      urls.push(url);
      continue;
    }
    scratch ??= await scratchDir("backends");
    urls.push("memory://");
    for (const [scheme, path] of [
      ["sqlite", "bench.db"],
      ["lmdb", "lmdb"],
      ["file", "files"],
    ] as const) {
      const local = `${scheme}://${join(scratch.path, path)}`;
      names.set(local, `${scheme}://$TMP/${path}`);
      urls.push(local);
    }
    urls.push(envRedisUrl(), `hybrid+${envRedisUrl()}`);
  }
  const subjects = [
    ...(await Promise.all([...new Set(urls)].map((url) => stowageSubject(url, names.get(url))))),
    ...PEERS.filter((peer) => peers.includes(peer.name)),
  ];
  const peerRedis = choosePeerRedis(urls);
  const restore = usePeerRedis(peerRedis);
  return {
    subjects,
    peerRedis,
    cleanup: async () => {
      restore();
      await scratch?.remove();
    },
  };
}
