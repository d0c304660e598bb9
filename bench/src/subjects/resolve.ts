import { join } from "node:path";
import { PEERS } from "../peers/index.js";
import { redisUrl } from "../peers/redis-server.js";
import { scratchDir } from "../peers/temp-dir.js";
import { stowageSubject } from "./stowage.js";
import type { Subject } from "./subject.js";

/** The subjects of a run: backends (with "all" expanded into a scratch directory) then peers. */
export async function resolveSubjects(
  backends: readonly string[],
  peers: readonly string[],
): Promise<{ subjects: Subject[]; cleanup(): Promise<void> }> {
  const urls: string[] = [];
  let scratch: Awaited<ReturnType<typeof scratchDir>> | undefined;
  for (const url of backends) {
    if (url !== "all") {
      urls.push(url);
      continue;
    }
    scratch ??= await scratchDir("backends");
    urls.push(
      "memory://",
      `sqlite://${join(scratch.path, "bench.db")}`,
      `lmdb://${join(scratch.path, "lmdb")}`,
      `file://${join(scratch.path, "files")}`,
      redisUrl(),
    );
  }
  const subjects = [...[...new Set(urls)].map(stowageSubject), ...PEERS.filter((peer) => peers.includes(peer.name))];
  return { subjects, cleanup: async () => scratch?.remove() };
}
