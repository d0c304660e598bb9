import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import KeyvSqlite from "@keyv/sqlite";
import { describeConformance } from "@stowage/conformance";
import { createStorage } from "@stowage/core";
import { afterAll } from "vitest";
import { type KeyvStoreLike, useKeyvStore } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "stowage-keyv-conformance-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stores: { name: string; host: string; store: KeyvStoreLike }[] = [
  { name: "keyv (Map)", host: "conformance-map", store: new Map() },
  {
    name: "keyv (@keyv/sqlite)",
    host: "conformance-sqlite",
    store: new KeyvSqlite(`sqlite://${join(dir, "keyv.sqlite")}`),
  },
];

// A Keyv store backs only the cache: lock and checkpoint refuse (see KeyvBackend), so the target
// opens them on a shared in-process memory backend, as a user would give them another URL. The
// cache's add, incr and json.set are atomic within one process only, so the multi-process and
// crash groups are off; only the cache groups are selected.
for (const { name, host, store } of stores) {
  const cacheUrl = useKeyvStore(host, store);
  const otherUrl = `memory://${host}`;
  describeConformance(
    {
      name,
      open: (namespace, options = {}) => {
        const codec = {
          ...(options.codec ? { codec: options.codec } : {}),
          ...(options.maxValueBytes ? { maxValueBytes: options.maxValueBytes } : {}),
        };
        return createStorage({
          namespace,
          cache: { url: cacheUrl, ...codec },
          lock: otherUrl,
          checkpoint: { url: otherUrl, ...codec },
        });
      },
      capabilities: { multiProcess: false, survivesCrash: false, sizeLimit: false },
    },
    { cache: true, lock: false, checkpoint: false },
  );
}
