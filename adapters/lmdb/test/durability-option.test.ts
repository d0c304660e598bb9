import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage } from "@stowage/core";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-lmdb-durability-option-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function detail(url: string): Promise<unknown> {
  const storage = await createStorage(url);
  try {
    return (await storage.health()).cache?.details?.sync;
  } finally {
    await storage.close();
  }
}

describe("lmdb: core's durability levels", () => {
  it("the default is the process level, durability=full is the strongest, and each maps to the backend's own setting", async () => {
    const url = `lmdb://${join(dir, "d")}`;
    expect(await detail(url)).toBe("process");
    expect(await detail(`${url}?durability=process`)).toBe("process");
    expect(await detail(`${url.replace(/d(\.db)?$/, "f$1")}?durability=full`)).toBe("full");
  });

  it("an unknown level, or durability with the backend's own name for it, is ERR_CONFIG", async () => {
    const url = `lmdb://${join(dir, "d")}`;
    await expect(createStorage(`${url}?durability=power`)).rejects.toMatchObject({ code: "ERR_CONFIG" });
    await expect(createStorage(`${url}?durability=full&sync=full`)).rejects.toMatchObject({ code: "ERR_CONFIG" });
  });
});
