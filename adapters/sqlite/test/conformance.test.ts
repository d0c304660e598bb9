import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describeConformance, openByUrl } from "@stowage/conformance";
import Database from "better-sqlite3";
import { afterAll } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-sqlite-conformance-"));
const url = `sqlite://${pathToFileURL(join(dir, "conformance.db")).pathname}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const urlOf = (path: string) => `sqlite://${pathToFileURL(path).pathname}`;

/** Makes `<at>/other.db` with another program's tables (and `setup` run first) and returns its URL. */
function foreignDatabase(at: string, setup: string): string {
  const path = join(at, "other.db");
  const db = new Database(path);
  db.exec(setup);
  db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada'), ('alan');");
  db.close();
  return urlOf(path);
}

describeConformance({
  name: "sqlite",
  url,
  open: openByUrl(url),
  capabilities: { multiProcess: true, survivesCrash: true, sizeLimit: true },
  damage: {
    urlIn: (at) => urlOf(join(at, "store.db")),
    kinds: [
      // The 100-byte header is checked at open. Its schema version (bytes 60-63) is left out: a
      // higher one is a file of a newer release, refused with ERR_CONFIG by design.
      { name: "database header", flipsDetected: true, truncate: false },
      // SQLite keeps no checksum over its pages.
      { name: "database page", flipsDetected: false },
    ],
    files: (at) => {
      const path = join(at, "store.db");
      return [
        { kind: "database header", path, flipRange: [0, 60] },
        { kind: "database header", path, flipRange: [64, 100] },
        { kind: "database page", path, flipRange: [100, statSync(path).size] },
      ];
    },
    foreign: [
      { name: "another application's SQLite database", make: (at) => foreignDatabase(at, "") },
      {
        name: "another application's SQLite database in WAL mode",
        make: (at) => foreignDatabase(at, "PRAGMA journal_mode = WAL;"),
      },
      {
        name: "an SQLite database with another application id and no tables",
        make: (at) => {
          const path = join(at, "tagged.db");
          const db = new Database(path);
          db.pragma("application_id = 1234");
          db.close();
          return urlOf(path);
        },
      },
      {
        name: "a file that is not an SQLite database",
        make: (at) => {
          const path = join(at, "notes.db");
          writeFileSync(path, "these are notes, not a database\n".repeat(20));
          return urlOf(path);
        },
      },
    ],
  },
});
