import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage } from "@stowage/core";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "stowage-sqlite-durability-option-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function detail(url: string): Promise<unknown> {
  const storage = await createStorage(url);
  try {
    return (await storage.health()).cache?.details?.synchronous;
  } finally {
    await storage.close();
  }
}

describe("sqlite: core's durability levels", () => {
  it("the default is the process level, durability=full is the strongest, and each maps to the backend's own setting", async () => {
    const url = `sqlite://${join(dir, "d.db")}`;
    expect(await detail(url)).toBe("normal");
    expect(await detail(`${url}?durability=process`)).toBe("normal");
    expect(await detail(`${url.replace(/d(\.db)?$/, "f$1")}?durability=full`)).toBe("full");
  });

  it("an unknown level, or durability with the backend's own name for it, is ERR_CONFIG", async () => {
    const url = `sqlite://${join(dir, "d.db")}`;
    await expect(createStorage(`${url}?durability=power`)).rejects.toMatchObject({ code: "ERR_CONFIG" });
    await expect(createStorage(`${url}?durability=full&synchronous=full`)).rejects.toMatchObject({
      code: "ERR_CONFIG",
    });
  });
});
