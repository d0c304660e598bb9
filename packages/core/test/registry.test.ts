import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createStorage, describeBackend, knownSchemes, registerAdapter, type StowageAdapter } from "@stowage/core";
import { MemoryBackend } from "@stowage/memory";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CORE = fileURLToPath(new URL("..", import.meta.url));
const MODULES = fileURLToPath(new URL("../../../node_modules", import.meta.url));

/**
 * A project with core installed and nothing else (core's own dependency linked beside it), so
 * that a built-in adapter package is missing; node keeps the links' paths, so resolution never
 * reaches this repository's node_modules.
 */
let project: string;
beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), "stowage-registry-"));
  await mkdir(join(project, "node_modules", "@stowage"), { recursive: true });
  await symlink(CORE, join(project, "node_modules", "@stowage", "core"), "dir");
  // Core's own dependencies, as npm would install them beside it.
  for (const dependency of ["msgpackr", "lru-cache"])
    await symlink(join(MODULES, dependency), join(project, "node_modules", dependency), "dir");
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

/** Runs createStorage(url) in the bare project; its rejection's code and message. */
function openInProject(url: string): { code: string; message: string } {
  const script = `import { createStorage } from "@stowage/core";
createStorage(${JSON.stringify(url)}).then(
  () => console.log(JSON.stringify({ code: "opened", message: "" })),
  (e) => console.log(JSON.stringify({ code: e.code, message: e.message })),
);`;
  const run = spawnSync(process.execPath, ["--preserve-symlinks", "--input-type=module", "-e", script], {
    cwd: project,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.stderr).toBe("");
  return JSON.parse(run.stdout.trim()) as { code: string; message: string };
}

/** A package in the bare project whose entry point is `source`. */
async function fakePackage(name: string, source: string): Promise<void> {
  const dir = join(project, "node_modules", name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name, type: "module", main: "index.js" }));
  await writeFile(join(dir, "index.js"), source);
}

describe("core's registry: scheme → package", () => {
  it("a URL whose adapter package is not installed is ERR_CONFIG saying npm install <package> and naming registerAdapter", () => {
    for (const [url, pkg] of [
      ["sqlite:///tmp/x.db", "@stowage/sqlite"],
      ["redis://127.0.0.1:1", "@stowage/redis"],
      ["hybrid+memory://", "@stowage/hybrid"],
    ] as const) {
      const { code, message } = openInProject(url);
      expect(code, url).toBe("ERR_CONFIG");
      expect(message, url).toContain(`npm install ${pkg}`);
      expect(message, url).toContain("registerAdapter");
      expect(message, url).toContain("not installed");
    }
  });

  it("an adapter package that is installed but fails to load shows its load error, and never says it is missing", async () => {
    await fakePackage("@stowage/lmdb", 'import "a-native-module-that-is-not-there";\nexport const adapter = {};\n');
    await fakePackage("@stowage/fs", 'throw new Error("the fs adapter broke at load time");\n');
    const missingDependency = openInProject("lmdb:///tmp/x");
    expect(missingDependency.code).toBe("ERR_CONFIG");
    expect(missingDependency.message).toContain("installed but failed to load");
    expect(missingDependency.message).toContain("a-native-module-that-is-not-there");
    expect(missingDependency.message).not.toContain("npm install @stowage/lmdb");
    const throwing = openInProject("file:///tmp/x");
    expect(throwing.message).toContain("the fs adapter broke at load time");
    expect(throwing.message).not.toContain("not installed");
  });

  it("a third-party adapter given to registerAdapter opens its scheme, describes itself, and is listed", async () => {
    const opened: string[] = [];
    const toy: StowageAdapter = {
      schemes: ["toy", "toy+tls"],
      capabilities: { multiProcess: false, survivesCrash: false, sizeLimit: true },
      maxValueBytes: 1024,
      async open(options) {
        opened.push(options.url.href);
        return new MemoryBackend({});
      },
    };
    registerAdapter(toy);
    expect(knownSchemes()).toEqual(expect.arrayContaining(["toy", "toy+tls"]));
    const described = await describeBackend("toy+tls://anywhere");
    expect(described).toMatchObject({ scheme: "toy+tls", package: undefined });
    expect(described.adapter.capabilities).toEqual(toy.capabilities);
    await using storage = await createStorage("toy://box");
    await storage.cache.set("k", "v");
    expect(await storage.cache.get("k")).toBe("v");
    expect(opened).toContain("toy://box");
  });

  it("a registered family opens every scheme with its prefix, and an unknown scheme lists the prefixes", async () => {
    const seen: string[] = [];
    registerAdapter({
      prefix: "mirror+",
      async adapterFor(scheme) {
        seen.push(scheme);
        return {
          schemes: [scheme],
          capabilities: { multiProcess: false, survivesCrash: false, sizeLimit: false },
          open: async () => new MemoryBackend({}),
        };
      },
    });
    await using storage = await createStorage("mirror+anything://");
    expect(await storage.cache.get("absent")).toBeUndefined();
    expect(seen).toContain("mirror+anything");
    await expect(createStorage("nothing-opens-this://")).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: expect.stringMatching(/mirror\+\*:.*registerAdapter/),
    });
  });

  it("each built-in adapter's description names the schemes core maps to its package", async () => {
    for (const url of ["memory://", "sqlite:///tmp/never-opened.db", "lmdb:///tmp/never", "file:///tmp/never"]) {
      const { scheme, package: pkg, adapter } = await describeBackend(url);
      expect(adapter.schemes, url).toContain(scheme);
      expect(pkg, url).toMatch(/^@stowage\//);
      expect(typeof adapter.capabilities.multiProcess).toBe("boolean");
    }
    expect((await describeBackend("memory://")).adapter.capabilities.multiProcess).toBe(false);
  });
});
