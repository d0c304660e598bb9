import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeConformance, openByUrl } from "@stowage/conformance";
import { open } from "lmdb";
import { afterAll } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-lmdb-conformance-"));
const url = `lmdb://${join(dir, "store")}`;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Both meta pages: the environment's 8 KiB page size, twice. */
const META_BYTES = 2 * 8192;

describeConformance({
  name: "lmdb",
  url,
  open: openByUrl(url),
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: true },
  damage: {
    urlIn: (at) => `lmdb://${join(at, "store")}`,
    kinds: [
      // Checked before lmdb maps the file (header-check.ts): magic, version, page size, page
      // numbers, transaction ids, the last page against the file's size, the roots.
      { name: "meta page", flipsDetected: true, truncate: false },
      // LMDB keeps no checksum over its pages.
      {
        name: "data page",
        flipsDetected: false,
        flipsMayCrash: {
          signals: ["SIGSEGV", "SIGABRT"],
          reason:
            "a write through a damaged page below a root: LMDB writes in place a page whose transaction id looks like its own (into lmdb-js's read-only map), or stops on a failed assertion (adapters/lmdb/README.md, Corrupt files)",
        },
      },
      { name: "lock file", flipsDetected: true },
    ],
    files: (at) => {
      const data = join(at, "store", "data.mdb");
      return [
        { kind: "meta page", path: data, flipRange: [0, META_BYTES] },
        { kind: "data page", path: data, flipRange: [META_BYTES, statSync(data).size] },
        { kind: "lock file", path: join(at, "store", "lock.mdb") },
      ];
    },
    foreign: [
      {
        name: "an LMDB environment made with lmdb-js directly",
        make: async (at) => {
          const db = open({ path: join(at, "env") });
          await db.put("user:1", { name: "ada" });
          await db.put("user:2", { name: "alan" });
          await db.close();
          return `lmdb://${join(at, "env")}`;
        },
      },
      {
        name: "an LMDB environment with named databases of its own",
        make: async (at) => {
          const root = open({ path: join(at, "env"), maxDbs: 4 });
          const users = root.openDB({ name: "users" });
          await users.put("ada", 1);
          await root.close();
          return `lmdb://${join(at, "env")}`;
        },
      },
    ],
  },
});
