import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expectOldStoreReadable, readOldStoreRecords } from "@stowage/conformance/testing";
import { createStorage } from "@stowage/core";
import { afterAll, describe, it } from "vitest";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const records = readOldStoreRecords(join(fixtures, "old-store.json"));
const root = mkdtempSync(join(tmpdir(), "stowage-sqlite-format-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of fixtures/old-store.db, written by fixtures/write-old-store.mjs before the open path checked ownership. */
function copyOfOldStore(): string {
  const path = join(root, `${Math.random().toString(36).slice(2)}.db`);
  cpSync(join(fixtures, "old-store.db"), path);
  return `sqlite://${path}`;
}

describe("a store written by the release before", () => {
  it("opens, reads every record it holds, and takes new writes", async () => {
    const storage = await createStorage({ url: copyOfOldStore(), namespace: records.namespace });
    try {
      await expectOldStoreReadable(storage, records);
    } finally {
      await storage.close();
    }
  });
});
