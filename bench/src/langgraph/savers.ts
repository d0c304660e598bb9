import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { createStowageSaver, type StowageSaver } from "@stowage/langgraph";
import { Redis } from "ioredis";

/** A saver under test: how to open it in a fresh place, and the bytes it holds there now. */
export interface OpenSaver {
  saver: BaseCheckpointSaver;
  /** Bytes stored (file sizes, or MEMORY USAGE summed); undefined where nothing can be measured. */
  bytes(): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface SaverKind {
  name: string;
  /** False for memory://, whose checkpoints go with the store: the timed phase runs on the same store. */
  reopens?: boolean;
  open(dir: string, run: number): Promise<OpenSaver>;
}

function treeBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    try {
      total += entry.isDirectory() ? treeBytes(child) : statSync(child).size;
    } catch {
      // a temp file renamed away while we walked
    }
  }
  return total;
}

const fileBytes = (path: string) => () => {
  try {
    return Promise.resolve(statSync(path).isDirectory() ? treeBytes(path) : statSync(path).size);
  } catch {
    return Promise.resolve(0);
  }
};

function stowage(
  name: string,
  url: (dir: string, run: number) => string,
  bytes: (dir: string) => () => Promise<number | undefined>,
  compressAbove?: number,
): SaverKind {
  return {
    name,
    async open(dir, run) {
      const saver: StowageSaver = await createStowageSaver(url(dir, run), {
        namespace: `lg${run}`,
        ...(compressAbove !== undefined ? { compressAbove } : {}),
      });
      return { saver, bytes: bytes(dir), close: () => saver.end() };
    },
  };
}

/** MEMORY USAGE of every key of the namespace, found with SCAN (never KEYS). */
async function redisBytes(url: string, pattern: string): Promise<number> {
  const client = new Redis(url);
  let total = 0;
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    for (const key of keys) total += Number((await client.memory("USAGE", key)) ?? 0);
  } while (cursor !== "0");
  client.disconnect();
  return total;
}

/** Every saver of the scenario: SqliteSaver, and this saver on each backend (Redis when a URL is given). */
export function saverKinds(redisUrl: string | undefined): SaverKind[] {
  const kinds: SaverKind[] = [
    {
      name: "SqliteSaver",
      async open(dir) {
        const path = join(dir, "peer.db");
        const saver = SqliteSaver.fromConnString(path);
        return {
          saver,
          bytes: async () => (await fileBytes(path)()) + (await fileBytes(`${path}-wal`)()),
          close: async () => {
            saver.db.close();
          },
        };
      },
    },
    stowage(
      "stowage sqlite",
      (dir) => `sqlite://${join(dir, "ours.db")}`,
      (dir) => async () => {
        const path = join(dir, "ours.db");
        return (await fileBytes(path)()) + (await fileBytes(`${path}-wal`)());
      },
    ),
    stowage(
      "stowage sqlite zlib",
      (dir) => `sqlite://${join(dir, "ours.db")}`,
      (dir) => async () => {
        const path = join(dir, "ours.db");
        return (await fileBytes(path)()) + (await fileBytes(`${path}-wal`)());
      },
      1024,
    ),
    stowage(
      "stowage lmdb",
      (dir) => `lmdb://${join(dir, "lmdb")}`,
      (dir) => fileBytes(join(dir, "lmdb")),
    ),
    stowage(
      "stowage file",
      (dir) => `file://${join(dir, "files")}`,
      (dir) => fileBytes(join(dir, "files")),
    ),
    {
      ...stowage(
        "stowage memory",
        () => "memory://",
        () => async () => undefined,
      ),
      reopens: false,
    },
  ];
  if (redisUrl !== undefined) {
    kinds.push({
      name: "stowage redis",
      async open(_dir, run) {
        const saver = await createStowageSaver(redisUrl, { namespace: `lg${run}` });
        return { saver, bytes: () => redisBytes(redisUrl, `*:lg${run}:*`), close: () => saver.end() };
      },
    });
  }
  return kinds;
}
