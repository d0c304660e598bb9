import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

describe("the README's npx stowage commands in a clone", () => {
  it("npx stowage --help runs from the repository root after npm install (the root links the workspace bin)", () => {
    const out = execFileSync("npx", ["--no-install", "stowage", "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(out).toContain("Usage: stowage");
  });

  it("the bin is committed executable, so it runs whether or not a build rewrote dist/", () => {
    const mode = execFileSync("git", ["ls-files", "-s", "packages/cli/bin/stowage.js"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(mode.startsWith("100755")).toBe(true);
  });
});
