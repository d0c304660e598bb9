import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const mountPoint = mkdtempSync(join(tmpdir(), "stowage-lmdb-full-"));
let mounted = false;
try {
  // A 1 MiB tmpfs is a disk that fills up; mounting it needs root.
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint], { stdio: "ignore" });
  mounted = true;
} catch {
  console.log("[lmdb] disk-full test skipped: cannot mount a small tmpfs here (needs root)");
}
afterAll(() => {
  if (mounted) execFileSync("umount", [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe("lmdb on a full disk", () => {
  it.skipIf(!mounted)(
    "a write that does not fit is ERR_BACKEND_UNAVAILABLE saying so; earlier data stays readable",
    () => {
      const fixture = fileURLToPath(new URL("./fixtures/fill-disk.mjs", import.meta.url));
      const run = spawnSync(process.execPath, [fixture, join(mountPoint, "store")], {
        encoding: "utf8",
        timeout: 60_000,
      });
      const result = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as {
        written: number;
        failure?: { code: string; message: string };
        readable: boolean;
      };
      expect(result.written).toBeGreaterThan(0);
      expect(result.written).toBeLessThan(1000);
      expect(result.failure?.code).toBe("ERR_BACKEND_UNAVAILABLE");
      expect(result.failure?.message).toMatch(/disk full/);
      expect(result.readable).toBe(true);
    },
  );
});
